// The README's Deploying section walks a newcomer through each path: the files it names must exist, and the
// names in its commands (Secrets, keys, Trigger filters) must be the ones the manifests use.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { AUTH_TOKEN_SECRET } from '../../../packaging/names.ts';
import { substituteStackVariables } from '../../../packaging/stack-schema.ts';
import { readYamlDocument, readYamlDocuments, repoRoot } from '../../../testbed/packaging/manifests.ts';

// The deployment walk-through is the README's "Deploying" section.
const README = readFileSync(join(repoRoot, 'README.md'), 'utf8');
const DOC = README.slice(README.indexOf('\n## Deploying'), README.indexOf('\n## Development'));
const ROOTS = ['knative/', 'openfaas/', 'falco/', 'falcosidekick/', 'examples/', 'packaging/', 'scripts/', 'template/', 'docs/', 'test/'];

describe('README: Deploying', () => {
  it('names only files and folders that exist (dist/ and build/ are made by the build)', () => {
    const named = [...DOC.matchAll(/`([a-z0-9._/<>-]+)`/g)].map((match) => match[1]!).filter((path) => ROOTS.some((root) => path.startsWith(root)) || path === 'stack.yml');
    const concrete = named.filter((path) => !path.includes('<') && !path.includes('*'));
    expect(concrete.length).toBeGreaterThan(15);
    expect(concrete.filter((path) => !existsSync(join(repoRoot, path)))).toEqual([]);
  });

  it('creates the Knative token Secret with the name and key the Services read', () => {
    const reference = readYamlDocument('knative/20-delete-pod.yaml').spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === 'AUTH_TOKEN').valueFrom.secretKeyRef;
    expect(DOC).toContain(`create secret generic ${reference.name} --from-literal=${reference.key}="$TOKEN"`);
    expect(reference.name).toBe(AUTH_TOKEN_SECRET);
  });

  it('creates the OpenFaaS secret stack.yml lists', () => {
    const stack = parse(substituteStackVariables(readFileSync(join(repoRoot, 'stack.yml'), 'utf8'), {}));
    const secrets = new Set(Object.values(stack.functions as Record<string, { secrets?: string[] }>).flatMap((fn) => fn.secrets ?? []));
    for (const secret of secrets) expect(DOC).toContain(`faas-cli secret create ${secret} `);
  });

  it('creates Falcosidekick\'s Secret with every key the values files read', () => {
    for (const file of ['falcosidekick/values-knative.yaml', 'falcosidekick/values-openfaas.yaml']) {
      for (const entry of readYamlDocument(file).config.extraEnv as Array<{ valueFrom: { secretKeyRef: { name: string; key: string } } }>) {
        expect(DOC).toContain(`create secret generic ${entry.valueFrom.secretKeyRef.name}`);
        expect(DOC).toContain(`--from-literal=${entry.valueFrom.secretKeyRef.key}=`);
      }
    }
  });

  it('shows the Trigger filters as they are', () => {
    for (const trigger of readYamlDocuments('knative/eventing/20-triggers.yaml')) {
      const { type, rule, priority } = trigger.spec.filter.attributes;
      expect(DOC).toContain(`| ${trigger.metadata.name} | \`${type}\` | \`${rule}\` | ${priority ? `\`${priority}\`` : 'any'} |`);
    }
  });
});
