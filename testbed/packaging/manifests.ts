// Reading the shipped manifests in tests: every YAML document of a file, parsed strictly.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export const repoRoot = new URL('../../', import.meta.url).pathname;

export type Manifest = Record<string, any>;

/** The documents of a multi-document YAML file; fails on any YAML error or warning (duplicate keys...). */
export function readYamlDocuments(relativePath: string): Manifest[] {
  const text = readFileSync(join(repoRoot, relativePath), 'utf8');
  return parseYamlDocuments(text, relativePath);
}

export function parseYamlDocuments(text: string, origin = 'yaml'): Manifest[] {
  const documents = parseAllDocuments(text, { uniqueKeys: true, strict: true });
  if (!Array.isArray(documents)) throw new Error(`${origin}: not a YAML stream`);
  const problems = documents.flatMap((document) => [...document.errors, ...document.warnings]);
  if (problems.length > 0) throw new Error(`${origin}: ${problems.map((problem) => problem.message).join('; ')}`);
  return documents.map((document) => document.toJS() as Manifest).filter((value) => value !== null);
}

export function readYamlDocument(relativePath: string): Manifest {
  const documents = readYamlDocuments(relativePath);
  if (documents.length !== 1) throw new Error(`${relativePath}: expected one YAML document, found ${documents.length}`);
  return documents[0]!;
}

/** YAML files directly in a folder (not its subfolders), in the order `kubectl apply -f <folder>` takes them. */
export function yamlFilesIn(relativeDir: string): string[] {
  return readdirSync(join(repoRoot, relativeDir), { withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
    .map((entry) => `${relativeDir}/${entry.name}`)
    .sort();
}

/** Every Knative Service we ship (the functions' and the dead-letter sink), with the file it came from. */
export function knativeServices(): Array<{ file: string; service: Manifest }> {
  return [...yamlFilesIn('knative'), ...yamlFilesIn('knative/eventing')].flatMap((file) =>
    readYamlDocuments(file)
      .filter((doc) => doc.apiVersion === 'serving.knative.dev/v1' && doc.kind === 'Service')
      .map((service) => ({ file, service })),
  );
}

export function knativeServiceOf(name: string): Manifest {
  const found = knativeServices().find(({ service }) => service.metadata?.name === name);
  if (!found) throw new Error(`no Knative Service ${name} in knative/`);
  return found.service;
}

/** The user container's env as name → value (valueFrom entries as `valueFrom:<secret>/<key>`). */
export function envOf(container: Manifest): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of (container.env ?? []) as Manifest[]) {
    const secret = entry.valueFrom?.secretKeyRef;
    env[entry.name] = secret ? `valueFrom:${secret.name}/${secret.key}` : String(entry.value ?? '');
  }
  return env;
}
