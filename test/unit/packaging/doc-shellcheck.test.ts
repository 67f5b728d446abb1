// Every shell block a reader copies from the README, docs/ and the examples' READMEs passes
// shellcheck (Debian's, from scripts/fetch-debian-tools.sh), including the blocks this machine
// cannot run (helm, faas-cli, kn, docker): quoting and masked failures show up before a reader
// pastes them. Placeholders such as <ns> are filled with a word first, as a reader would.
import { describe, expect, it } from 'vitest';
import { commandBlocks, commandPages } from '../../../testbed/packaging/doc-blocks.ts';
import { debianToolPath, run } from '../../../testbed/packaging/tools.ts';

const blocks = commandPages().flatMap(commandBlocks);
const filled = (text: string) => text.replace(/<([a-z][a-z ]*)>/g, (_, name: string) => `example-${name.replace(/ /g, '-')}`);

describe("shellcheck on the pages' command blocks", () => {
  const shellcheck = debianToolPath('shellcheck');

  it('finds the blocks, and shellcheck rejects a masked failure (export X=$(...))', () => {
    expect(blocks.length).toBeGreaterThan(20);
    const bad = run(shellcheck, ['--shell=bash', '-'], { input: 'export TOKEN=$(cat ~/.token)\n' });
    expect(bad.status).not.toBe(0);
    expect(bad.stdout).toContain('SC2155');
  });

  it.each(blocks.map((block) => [`${block.file}: ${block.first}`, block] as const))('%s', (_name, block) => {
    const result = run(shellcheck, ['--shell=bash', '--severity=style', '-'], { input: filled(block.text) });
    expect(result.stdout, result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
