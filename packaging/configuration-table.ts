// docs/configuration.md's two tables, generated: the settings from the declarations beside the
// code that reads them (the pipeline's, each function's own, the Kubernetes client's, the
// runtime's), and the label and annotation keys from shared/k8s/keys.ts. The rest of the page
// is written by hand; only the tables are replaced.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KEYS } from '../shared/k8s/keys.ts';
import { allSettings } from './all-settings.ts';

const HEADER = '| variable | default | meaning |\n|---|---|---|\n';
const KEYS_HEADER = '| key | on | meaning |\n|---|---|---|\n';

export function configurationTable(): string {
  return (
    HEADER +
    allSettings()
      .map((s) => `| \`${s.name}\` | ${s.shownDefault} | ${s.meaning} |\n`)
      .join('')
  );
}

export function keysTable(): string {
  return (
    KEYS_HEADER +
    Object.values(KEYS)
      .map((k) => `| \`${k.key}${'value' in k ? k.value : ''}\` | ${k.on} | ${k.meaning} |\n`)
      .join('')
  );
}

function replaceTable(page: string, header: string, table: string, path: string): string {
  const start = page.indexOf(header);
  if (start < 0) throw new Error(`${path}: the table starting ${JSON.stringify(header.split('\n')[0])} is missing`);
  const end = page.indexOf('\n\n', start);
  return page.slice(0, start) + table.trimEnd() + page.slice(end);
}

/** The page with its tables regenerated (each ends at the first blank line after its header). */
export function configurationPage(repoRoot: string): Record<string, string> {
  const path = 'docs/configuration.md';
  const page = readFileSync(join(repoRoot, path), 'utf8');
  return { [path]: replaceTable(replaceTable(page, HEADER, configurationTable(), path), KEYS_HEADER, keysTable(), path) };
}
