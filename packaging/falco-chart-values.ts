// The falco chart's values files (falcosidekick/values-falco-chart-<path>.yaml), made from two
// sources so that neither is copied by hand: Falcosidekick's settings from the plain
// Falcosidekick chart values (falcosidekick/values-<path>.yaml, their `config:` block moved
// under `falcosidekick:`), and the Falco rules snippet (falco/falco-response-rules.yaml) as
// `customRules`. Written by `make manifests`; a unit test fails when a committed copy is stale.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const repoRoot = resolve(import.meta.dirname, '..');
export const FALCO_RULES_FILE = 'falco/falco-response-rules.yaml';
const PATHS = ['knative', 'openfaas'] as const;
export type FalcoChartPath = (typeof PATHS)[number];

const indent = (text: string, by: string) =>
  text
    .trimEnd()
    .split('\n')
    .map((line) => (line === '' ? '' : by + line))
    .join('\n');

/** The `config:` block of a plain Falcosidekick values file, comments included, up to the end of the file. */
function configBlock(path: FalcoChartPath): string {
  const text = readFileSync(join(repoRoot, `falcosidekick/values-${path}.yaml`), 'utf8');
  const start = text.search(/^config:$/m);
  if (start < 0) throw new Error(`falcosidekick/values-${path}.yaml has no top-level config: block`);
  return text.slice(start);
}

function header(path: FalcoChartPath): string[] {
  return [
    `# falco chart (falcosecurity/falco) values for the ${path === 'knative' ? 'Knative' : 'OpenFaaS'} path, for installs where Falcosidekick`,
    '# comes with Falco:',
    `#   helm upgrade --install falco falcosecurity/falco -n falco -f falcosidekick/values-falco-chart-${path}.yaml`,
    '#',
    `# GENERATED from falcosidekick/values-${path}.yaml (its config: block, as falcosidekick.config) and`,
    `# ${FALCO_RULES_FILE} (as customRules, so the responders do not alert about their own`,
    '# Kubernetes API calls) by packaging/falco-chart-values.ts. Do not edit: change those two files,',
    "# then run `make manifests`. Enabling Falcosidekick also makes the chart turn on Falco's JSON",
    '# and HTTP outputs towards it.',
  ];
}

export function falcoChartValues(path: FalcoChartPath): string {
  const rules = readFileSync(join(repoRoot, FALCO_RULES_FILE), 'utf8');
  return [
    ...header(path),
    'falcosidekick:',
    '  enabled: true',
    indent(configBlock(path), '  '),
    '',
    'customRules:',
    '  falco-response-rules.yaml: |-',
    indent(rules, '    '),
    '',
  ].join('\n');
}

export function generatedFalcoChartValues(): Record<string, string> {
  return Object.fromEntries(PATHS.map((path) => [`falcosidekick/values-falco-chart-${path}.yaml`, falcoChartValues(path)]));
}
