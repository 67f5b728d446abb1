// The shell command blocks of the project's Markdown pages, as a reader copies them: every
// fenced ```sh / ```bash block, indentation removed (blocks inside list items are indented).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './manifests.ts';

export interface CommandBlock {
  /** Page, relative to the repository root. */
  file: string;
  /** The block's first line, trimmed: how the tests name it. */
  first: string;
  text: string;
}

/** README.md, docs/*.md and examples/<x>/README.md: the pages a newcomer follows. */
export function commandPages(): string[] {
  const docs = existsSync(join(repoRoot, 'docs'))
    ? readdirSync(join(repoRoot, 'docs'))
        .filter((name) => name.endsWith('.md'))
        .sort()
        .map((name) => `docs/${name}`)
    : [];
  const examples = readdirSync(join(repoRoot, 'examples'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(repoRoot, 'examples', entry.name, 'README.md')))
    .map((entry) => `examples/${entry.name}/README.md`)
    .sort();
  return ['README.md', ...docs, ...examples];
}

export function commandBlocks(file: string): CommandBlock[] {
  const text = readFileSync(join(repoRoot, file), 'utf8');
  return [...text.matchAll(/^( *)```(?:sh|bash)\n([\s\S]*?)^\1```$/gm)].map((match) => {
    const indent = match[1]!.length;
    const body = match[2]!
      .split('\n')
      .map((line) => line.slice(Math.min(indent, line.length - line.trimStart().length)))
      .join('\n');
    return {
      file,
      first: body
        .split('\n')
        .find((line) => line.trim() !== '')!
        .trim(),
      text: body,
    };
  });
}

/** The language of every fenced block's opening fence, in order ('' for none). */
export function fenceLanguages(file: string): string[] {
  const languages: string[] = [];
  let open = false;
  for (const line of readFileSync(join(repoRoot, file), 'utf8').split('\n')) {
    const fence = /^ *```(\S*)$/.exec(line);
    if (!fence) continue;
    if (!open) languages.push(fence[1]!);
    open = !open;
  }
  return languages;
}
