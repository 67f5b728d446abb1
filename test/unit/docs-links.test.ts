// Every link in the project's Markdown resolves: relative links to a file that exists, and
// `#anchors` to a heading of the page they point at (GitHub's heading ids).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;

function markdownFiles(): string[] {
  const inDir = (dir: string) =>
    existsSync(join(root, dir))
      ? readdirSync(join(root, dir))
          .filter((name) => name.endsWith('.md'))
          .map((name) => join(dir, name))
      : [];
  const examples = readdirSync(join(root, 'examples'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((entry) => inDir(join('examples', entry.name)));
  return ['README.md', ...inDir('docs'), ...examples, 'bench/RESULTS.md'];
}

/** GitHub's id for a heading: lower case, punctuation other than `-` and `_` dropped, spaces to `-`. */
function headingId(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/`/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function headingIds(file: string): Set<string> {
  const text = readFileSync(join(root, file), 'utf8').replace(/^```[\s\S]*?^```/gm, '');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((match) => headingId(match[1]!)));
}

/** [text](target) outside code blocks and inline code. */
function linksOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8')
    .replace(/^```[\s\S]*?^```/gm, '')
    .replace(/`[^`\n]*`/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]!);
}

describe('links in the Markdown', () => {
  it('finds the pages and their links', () => {
    expect(markdownFiles().length).toBeGreaterThan(3);
    expect(markdownFiles().flatMap(linksOf).length).toBeGreaterThan(5);
  });

  it.each(markdownFiles())('%s: every relative link names a file that exists, every #anchor a heading there', (file) => {
    const broken: string[] = [];
    for (const link of linksOf(file)) {
      if (/^[a-z]+:/.test(link)) continue; // https:, mailto:
      const [path, anchor] = link.split('#') as [string, string | undefined];
      const target = path === '' ? file : relative(root, join(root, dirname(file), path));
      if (!existsSync(join(root, target))) {
        broken.push(`${link}: no file ${target}`);
        continue;
      }
      if (anchor !== undefined && target.endsWith('.md') && !headingIds(target).has(anchor))
        broken.push(`${link}: no heading #${anchor} in ${target}`);
    }
    expect(broken).toEqual([]);
  });

  it("the heading ids are GitHub's", () => {
    expect(headingId('Knative Serving, direct')).toBe('knative-serving-direct');
    expect(headingId('One-shot mode: Argo Workflows and Tekton')).toBe('one-shot-mode-argo-workflows-and-tekton');
    expect(headingId('`make demo`: five minutes')).toBe('make-demo-five-minutes');
  });
});
