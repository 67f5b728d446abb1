// knative/eventing/05-dead-letters.yaml: the Broker's dead-letter sink, a ConfigMap holding
// packaging/dead-letters/sink.mjs and a Knative Service that runs it with the stock node image
// the functions' Dockerfile builds on (no image of its own to build or push). Written by
// `make manifests`; a unit test fails when the committed file differs.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Document, isScalar, isSeq, visit } from 'yaml';
import { KNATIVE_NAMESPACE, PART_OF } from './names.ts';

const repoRoot = resolve(import.meta.dirname, '..');
export const DEAD_LETTER_SINK = 'falco-response-dead-letters';
export const DEAD_LETTER_SCRIPT = 'packaging/dead-letters/sink.mjs';
const MOUNT = '/opt/dead-letters';
// The `node` user of the official node images: the image itself runs as root.
const NODE_USER = 1000;

/** The base image of packaging/Dockerfile, so the sink moves with the functions' Node release. */
export function functionBaseImage(): string {
  const from = /^FROM\s+(\S+)/m.exec(readFileSync(join(repoRoot, 'packaging/Dockerfile'), 'utf8'));
  if (!from) throw new Error('packaging/Dockerfile has no FROM line');
  return from[1]!;
}

const labels = { 'app.kubernetes.io/part-of': PART_OF, 'app.kubernetes.io/component': 'dead-letters' };

function configMap(): object {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: DEAD_LETTER_SINK, namespace: KNATIVE_NAMESPACE, labels },
    data: { 'sink.mjs': readFileSync(join(repoRoot, DEAD_LETTER_SCRIPT), 'utf8') },
  };
}

function service(): object {
  return {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: {
      name: DEAD_LETTER_SINK,
      namespace: KNATIVE_NAMESPACE,
      labels: { ...labels, 'networking.knative.dev/visibility': 'cluster-local' },
    },
    spec: {
      template: {
        metadata: { labels },
        spec: {
          containers: [
            {
              name: 'user-container',
              image: functionBaseImage(),
              command: ['node', `${MOUNT}/sink.mjs`],
              ports: [{ containerPort: 8080 }],
              volumeMounts: [{ name: 'sink', mountPath: MOUNT, readOnly: true }],
              resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '64Mi' } },
              securityContext: {
                runAsNonRoot: true,
                runAsUser: NODE_USER,
                readOnlyRootFilesystem: true,
                allowPrivilegeEscalation: false,
                capabilities: { drop: ['ALL'] },
                seccompProfile: { type: 'RuntimeDefault' },
              },
            },
          ],
          volumes: [{ name: 'sink', configMap: { name: DEAD_LETTER_SINK } }],
        },
      },
    },
  };
}

function toYaml(object: object): string {
  const document = new Document(object);
  visit(document, {
    Seq(_key, node) {
      if (isSeq(node) && node.items.every((item) => isScalar(item))) node.flow = true;
    },
  });
  return document.toString({ lineWidth: 0, flowCollectionPadding: false });
}

const HEADER = [
  '# Where the Broker (10-broker.yaml) and the Triggers (20-triggers.yaml) send an alert that no',
  "# retry could deliver: one JSON line per alert in this Service's log,",
  `#   kubectl -n ${KNATIVE_NAMESPACE} logs -l serving.knative.dev/service=${DEAD_LETTER_SINK} -c user-container`,
  "# with the event's id, type, rule, priority, the failed destination and its answer, and the",
  "# alert's output. Only those: the shared token travels as the CloudEvent extension authtoken,",
  "# and Knative's event_display, which prints every attribute, would log it.",
  '# Point deadLetterSink at your alerting or SIEM instead if you have one.',
  '#',
  `# GENERATED from ${DEAD_LETTER_SCRIPT} and packaging/Dockerfile's base image by`,
  '# packaging/dead-letters-manifest.ts. Do not edit: change those, then run `make manifests`.',
];

export function generatedDeadLetterSink(): Record<string, string> {
  return { 'knative/eventing/05-dead-letters.yaml': `${HEADER.join('\n')}\n---\n${toYaml(configMap())}---\n${toYaml(service())}` };
}
