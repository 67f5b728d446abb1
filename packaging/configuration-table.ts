// docs/configuration.md's table of settings, generated from the declarations beside the code
// that reads them: the runtime's, the pipeline's, the Kubernetes client's, then each
// function's own. The rest of the page is written by hand; only the table is replaced.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RUNTIME_SETTINGS } from '../shared/config/runtime-config.ts';
import type { Setting } from '../shared/config/setting.ts';
import { KUBE_SETTINGS } from '../shared/k8s/kube-settings.ts';
import type { ResponseFunctionSpec } from '../shared/respond/function-spec.ts';
import { PIPELINE_SETTINGS } from '../shared/respond/pipeline-settings.ts';

const HEADER = '| variable | default | meaning |\n|---|---|---|\n';

/** Every setting any function reads, each once, in the table's order. */
export function allSettings(specs: readonly ResponseFunctionSpec[]): Setting<unknown>[] {
  const own = specs.flatMap((spec) => spec.settings?.declarations ?? []);
  return [...PIPELINE_SETTINGS.declarations, ...own, ...KUBE_SETTINGS.declarations, ...RUNTIME_SETTINGS.declarations];
}

export function configurationTable(specs: readonly ResponseFunctionSpec[]): string {
  return HEADER + allSettings(specs).map((s) => `| \`${s.name}\` | ${s.shownDefault} | ${s.meaning} |\n`).join('');
}

/** The page with its table regenerated (the table ends at the first blank line after its header). */
export function configurationPage(repoRoot: string, specs: readonly ResponseFunctionSpec[]): Record<string, string> {
  const path = 'docs/configuration.md';
  const page = readFileSync(join(repoRoot, path), 'utf8');
  const start = page.indexOf(HEADER);
  if (start < 0) throw new Error(`${path}: the settings table's header is missing`);
  const end = page.indexOf('\n\n', start);
  return { [path]: page.slice(0, start) + configurationTable(specs).trimEnd() + page.slice(end) };
}
