// The configuration table (docs/configuration.md, linked from the README) is generated from
// the settings' declarations, and every variable the code reads is declared.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { allSettings } from '../../packaging/all-settings.ts';
import { configurationPage } from '../../packaging/configuration-table.ts';

const root = new URL('../../', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

it('declares every environment variable the functions read, and the committed table is the declarations', () => {
  const read = new Set<string>();
  // shared/ reads the common settings, functions/<name>/ each function's own.
  for (const file of [...sources(join(root, 'shared')), ...sources(join(root, 'functions'))]) {
    for (const match of readFileSync(file, 'utf8').matchAll(
      /reader\.(?:string|boolean|integer|list|oneOf|optionalString|secretFile|raw|isSetButBlank)\('([A-Z_]+)'/g,
    ))
      read.add(match[1]!);
  }
  const page = readFileSync(join(root, 'docs/configuration.md'), 'utf8');
  expect(readFileSync(join(root, 'README.md'), 'utf8')).toContain('(docs/configuration.md)');
  const table = page.slice(page.indexOf('| variable | default | meaning |'));
  const documented = new Set([...table.slice(0, table.indexOf('\n\n')).matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]!));
  const declared = new Set(allSettings().map((s) => s.name));
  expect(declared.size).toBeGreaterThan(40);
  expect([...read].filter((name) => !declared.has(name))).toEqual([]);
  expect([...declared].sort()).toEqual([...documented].sort());
  expect(allSettings()).toHaveLength(declared.size);
  expect(page).toBe(configurationPage(root)['docs/configuration.md']);
  // The meanings refer to other variables by name: those must be real too (not `TAGS` for REQUIRED_TAGS).
  const rows = table.slice(0, table.indexOf('\n\n')).split('\n').slice(2);
  const mentioned = new Set(
    rows.flatMap((row) =>
      [
        ...row
          .split('|')
          .slice(2)
          .join('|')
          .matchAll(/`([A-Z][A-Z_]{2,})`/g),
      ].map((m) => m[1]!),
    ),
  );
  expect(mentioned.size).toBeGreaterThan(3);
  expect([...mentioned].filter((name) => !declared.has(name))).toEqual([]);
});

it('writes the label and annotation keys in one module (shared/k8s/keys.ts), which the table of keys is made from', () => {
  const elsewhere = [...sources(join(root, 'shared')), ...sources(join(root, 'functions'))]
    .filter((file) => !file.endsWith('shared/k8s/keys.ts'))
    .flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => !/^\s*(\/\/|\*|\/\*\*)/.test(line) && /['"`]falco-response\.dev\//.test(line))
        .map((line) => `${file}: ${line.trim()}`),
    );
  expect(elsewhere).toEqual([]);
});
