// The edit commit mode makes in the repository, and the edit restore makes to take it back.
// Preferred: kustomize's own `replicas:` field in the path's kustomization.yaml, which wins over
// whatever the manifest says. Without a kustomization file (Flux then generates one from the
// folder's manifests), the manifest's spec.replicas itself. Both keep comments and layout:
// the YAML is edited as a document, not re-serialised from data.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { isMap, isSeq, parseAllDocuments, parseDocument, type YAMLMap, type Document } from 'yaml';

export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** What was changed, so that restore can take exactly that back. */
export interface ReplicasEdit {
  /** The file, relative to the repository root. */
  file: string;
  how: 'kustomization-replicas' | 'manifest';
  /** The count that was there before (null: the entry or field did not exist). */
  previous: number | null;
}

export class EditProblem extends Error {}

function kustomizationFile(root: string, path: string): string | undefined {
  return KUSTOMIZATION_FILES.map((name) => join(root, path, name)).find((file) => existsSync(file));
}

function yamlFilesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (name.startsWith('.')) return [];
    return statSync(full).isDirectory() ? yamlFilesUnder(full) : /\.ya?ml$/.test(name) ? [full] : [];
  });
}

function entryOf(doc: Document, name: string): YAMLMap | undefined {
  const replicas = doc.get('replicas');
  if (!isSeq(replicas)) return undefined;
  return replicas.items.find((item): item is YAMLMap => isMap(item) && item.get('name') === name);
}

/** Sets `replicas: [{name, count}]` in the kustomization document; returns the previous count. */
function setKustomizationReplicas(doc: Document, name: string, count: number | null): number | null {
  const entry = entryOf(doc, name);
  const previous = entry ? Number(entry.get('count')) : null;
  if (count === null) {
    if (!entry) return previous;
    const replicas = doc.get('replicas') as { items: unknown[] };
    replicas.items.splice(replicas.items.indexOf(entry), 1);
    if (replicas.items.length === 0) doc.delete('replicas');
  } else if (entry) entry.set('count', count);
  else if (isSeq(doc.get('replicas'))) (doc.get('replicas') as { add(v: unknown): void }).add(doc.createNode({ name, count }));
  else doc.set('replicas', doc.createNode([{ name, count }]));
  return previous;
}

function manifestDocs(text: string, file: string) {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) throw new EditProblem(`${file} is not YAML`);
  return docs;
}

function matches(doc: Document, kind: string, name: string, namespace: string): boolean {
  const ns = doc.getIn(['metadata', 'namespace']);
  return doc.get('kind') === kind && doc.getIn(['metadata', 'name']) === name && (ns === undefined || ns === namespace);
}

export interface EditTarget {
  /** The checked-out repository. */
  root: string;
  /** The Kustomization's spec.path. */
  path: string;
  kind: string;
  namespace: string;
  name: string;
}

export interface EditedFile {
  edit: ReplicasEdit;
  text: string;
}

/** The file with the workload's replicas set to `count`; `previous` unknown yet: read from the file. */
export function editReplicas(target: EditTarget, count: number): EditedFile {
  const folder = join(target.root, target.path);
  if (!existsSync(folder)) throw new EditProblem(`the Kustomization's path ${target.path} does not exist in the repository`);
  const kustomization = kustomizationFile(target.root, target.path);
  if (kustomization) {
    const doc = parseDocument(readFileSync(kustomization, 'utf8'));
    const previous = setKustomizationReplicas(doc, target.name, count);
    return { edit: { file: relative(target.root, kustomization), how: 'kustomization-replicas', previous }, text: doc.toString() };
  }
  for (const file of yamlFilesUnder(folder)) {
    const docs = manifestDocs(readFileSync(file, 'utf8'), file);
    const doc = docs.find((d) => matches(d, target.kind, target.name, target.namespace));
    if (!doc) continue;
    const old = doc.getIn(['spec', 'replicas']);
    doc.setIn(['spec', 'replicas'], count);
    return {
      edit: { file: relative(target.root, file), how: 'manifest', previous: old === undefined ? null : Number(old) },
      text: docs.map((d) => d.toString()).join(''),
    };
  }
  throw new EditProblem(`no ${target.kind} ${target.name} in the manifests under ${target.path}, and no kustomization.yaml there`);
}

/** The file with the recorded edit taken back: the entry removed, or the previous count put back. */
export function revertReplicas(root: string, edit: ReplicasEdit, target: Pick<EditTarget, 'kind' | 'namespace' | 'name'>): string {
  const file = join(root, edit.file);
  if (!existsSync(file)) throw new EditProblem(`${edit.file} is no longer in the repository`);
  const text = readFileSync(file, 'utf8');
  if (edit.how === 'kustomization-replicas') {
    const doc = parseDocument(text);
    setKustomizationReplicas(doc, target.name, edit.previous);
    return doc.toString();
  }
  const docs = manifestDocs(text, edit.file);
  const doc = docs.find((d) => matches(d, target.kind, target.name, target.namespace));
  if (!doc) throw new EditProblem(`${target.kind} ${target.name} is no longer in ${edit.file}`);
  if (edit.previous === null) doc.deleteIn(['spec', 'replicas']);
  else doc.setIn(['spec', 'replicas'], edit.previous);
  return docs.map((d) => d.toString()).join('');
}
