// The README reads in the order a newcomer needs it: what it is, a local try, a quick start
// per platform, operations, then the reference (long parts on docs/ pages).
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8').replace(/^```[\s\S]*?^```/gm, '');
const sections = [...readme.matchAll(/^## (.+)$/gm)].map((match) => match[1]!);
const subsections = (section: string) => {
  const start = readme.indexOf(`\n## ${section}\n`);
  const end = readme.indexOf('\n## ', start + 1);
  return [...readme.slice(start, end < 0 ? undefined : end).matchAll(/^### (.+)$/gm)].map((match) => match[1]!);
};

it('puts the local try first, then the quick starts, operations, the reference and development', () => {
  expect(sections).toEqual(['Try it in five minutes: `make demo`', 'Quick start', 'Operations', 'Reference', 'Development']);
});

it('starts the quick starts with the Helm chart, then one per platform, after what every path needs, and a shared check', () => {
  expect(subsections('Quick start')).toEqual([
    'With Helm',
    'What every path needs',
    'OpenFaaS Community Edition',
    'OpenFaaS Pro',
    'Knative Serving, direct',
    'Knative Eventing Broker',
    'One-shot mode: Argo Workflows and Tekton',
    'Check it: a shell in a pod → the pod is gone',
  ]);
});

it('operations cover observing, the command line, releasing, restoring and removing; the reference links its long pages', () => {
  expect(subsections('Operations')).toEqual([
    'Observability',
    'The command line: `falco-response`',
    'Releasing a pod from quarantine',
    'Restoring a scaled workload',
    'Removing one path',
  ]);
  expect(subsections('Reference')).toEqual([
    'How a function decides',
    'Answers and status codes',
    'Delivery guarantees',
    'Configuration',
    'Security',
    'Internals',
    'Files',
  ]);
  for (const page of ['docs/how-it-decides.md', 'docs/configuration.md', 'docs/threat-model.md', 'docs/images.md'])
    expect(readme).toContain(`](${page})`);
});
