// The deployment manifests of each registered function (functions/index.ts), written by
// `make manifests` and kept current by its --check: stack.yml (OpenFaaS) and
// knative/20-<name>.yaml (Knative Services). What differs per function comes from its spec
// (name, summary, deployment: RULES, MIN_PRIORITY, how Falcosidekick reaches it); the rest,
// with the reasons in its comments, is the same for all.
import { FUNCTIONS } from '../functions/index.ts';
import type { ResponseFunctionSpec } from '../shared/respond/function-spec.ts';
import {
  AUTH_TOKEN_SECRET,
  imageName,
  KNATIVE_NAMESPACE,
  OPENFAAS_AUTH_TOKEN_FILE,
  OPENFAAS_FUNCTION_NAMESPACE,
  PART_OF,
  serviceAccountName,
} from './names.ts';

export const STACK_FILE = 'stack.yml';
export const knativeServiceFile = (name: string): string => `knative/20-${name}.yaml`;

/** Plain YAML scalars where safe, double quotes where YAML would read something else. */
function yamlString(value: string): string {
  return /^[A-Za-z][A-Za-z0-9 _./-]*$/.test(value) && !/^(true|false|yes|no|on|off|null)$/i.test(value) ? value : JSON.stringify(value);
}

const STACK_HEADER = `# GENERATED from the function registry (functions/index.ts) by packaging/function-manifests.ts:
# edit a function's spec (its deployment field) or that file, then run \`make manifests\`.
#
# OpenFaaS stack for the functions. Each is built from its bundle folder, which
# \`make bundle\` fills with the bundle (app.cjs, kube.cjs, start.cjs, train.cjs) and the
# Dockerfile (packaging/Dockerfile, which trains the code caches during the build):
#
#   make bundle
#   faas-cli up -f stack.yml                         # build, push, deploy all of them
#   faas-cli up -f stack.yml --filter delete-pod     # or one function alone
#   REGISTRY=registry.example.com/sec TAG=0.1.0 faas-cli up -f stack.yml
#
# \`faas-cli build --shrinkwrap\` leaves the build contexts in build/<function>/ for any other
# builder (kaniko, buildx); \`faas-cli generate\` prints the Function objects.
# Values in \${VAR:-default} form are substituted by faas-cli from the environment.
#
# RBAC first: OpenFaaS Pro honours com.openfaas.serviceaccount (apply openfaas/rbac-pro.yaml);
# Community Edition ignores it and runs every function as openfaas-fn:default (apply
# openfaas/rbac-ce.yaml, and read what that shares).
version: "1.0"
provider:
  name: openfaas
  gateway: \${OPENFAAS_URL:-http://127.0.0.1:8080}

functions:
`;

function stackFunction(spec: ResponseFunctionSpec, first: boolean): string {
  const { rules, minPriority, openFaasCaller } = spec.deployment;
  const token =
    openFaasCaller === 'webhook-with-token'
      ? [
          '      # The token from the function secret below (faas-cli secret create falco-response-token).',
          `      AUTH_TOKEN_FILE: ${OPENFAAS_AUTH_TOKEN_FILE}`,
          '    secrets:',
          `      - ${AUTH_TOKEN_SECRET}`,
        ]
      : [
          `      # No AUTH_TOKEN_FILE here: Falcosidekick reaches ${spec.name} through its OpenFaaS output`,
          '      # (falcosidekick/values-openfaas.yaml), which can carry neither a header nor a CloudEvent',
          '      # extension, so a required token would reject every alert. Restrict who can reach the',
          '      # gateway instead (NetworkPolicy, gateway auth), or route it through the webhook',
          '      # output with a token as the functions with AUTH_TOKEN_FILE are.',
        ];
  return [
    `  ${spec.name}:`,
    '    lang: dockerfile',
    `    handler: ./dist/${spec.name}`,
    `    image: \${REGISTRY:-ghcr.io/example}/${imageName(spec.name)}:\${TAG:-0.1.0}`,
    ...(first ? ['    # Community Edition deploys to openfaas-fn only.'] : []),
    `    namespace: ${OPENFAAS_FUNCTION_NAMESPACE}`,
    '    environment:',
    ...(first
      ? [
          "      # Guard rails: Falcosidekick's outputs send every alert at or above their minimum",
          '      # priority, so RULES is what routes alerts to this function.',
        ]
      : []),
    `      RULES: ${yamlString(rules)}`,
    `      MIN_PRIORITY: ${minPriority}`,
    '      DRY_RUN: "false"',
    '      LOG_LEVEL: info',
    ...token,
    '    labels:',
    `      app.kubernetes.io/part-of: ${PART_OF}`,
    ...(first ? ['      # Always one warm replica: a cold start delays the response to the attack (Pro: never to zero).'] : []),
    '      com.openfaas.scale.min: "1"',
    '      com.openfaas.scale.max: "2"',
    '      com.openfaas.scale.zero: "false"',
    '    annotations:',
    ...(first ? ["      # OpenFaaS Pro only (Community Edition ignores it): this function's own ServiceAccount."] : []),
    `      com.openfaas.serviceaccount: ${serviceAccountName(spec.name)}`,
    '    limits:',
    '      memory: 256Mi',
    '    requests:',
    '      memory: 96Mi',
    '      cpu: 50m',
    ...(first ? ['    # OpenFaaS mounts a writable /tmp for the lock file (/tmp/.lock) its exec probe reads.'] : []),
    '    readonly_root_filesystem: true',
  ].join('\n');
}

export function stackYaml(specs: readonly ResponseFunctionSpec[] = FUNCTIONS): string {
  return `${STACK_HEADER}${specs.map((spec, index) => stackFunction(spec, index === 0)).join('\n\n')}\n`;
}

export function knativeServiceYaml(spec: ResponseFunctionSpec): string {
  const { rules, minPriority } = spec.deployment;
  return `# GENERATED from the function registry (functions/index.ts) by packaging/function-manifests.ts:
# edit the function's spec (its deployment field) or that file, then run \`make manifests\`.
# ${spec.name} as a Knative Service. ${spec.summary}
# Equivalent kn command: docs/kn-commands.md (tests keep the two in step).
apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: ${spec.name}
  namespace: ${KNATIVE_NAMESPACE}
  labels:
    app.kubernetes.io/part-of: ${PART_OF}
    app.kubernetes.io/component: ${spec.name}
    # No public route: only the Broker (or Falcosidekick inside the cluster) calls it.
    networking.knative.dev/visibility: cluster-local
spec:
  template:
    metadata:
      labels:
        app.kubernetes.io/part-of: ${PART_OF}
        app.kubernetes.io/component: ${spec.name}
      # Autoscaling settings belong here, on the revision template: Knative's webhook rejects
      # them on the Service's own metadata.
      annotations:
        # One warm instance, always. With scale-to-zero a cold start (pod scheduled, image
        # pulled, Node started, ~1-3 s or far more on a busy node) sits between the attacker's
        # shell and its removal, and the first alert after a quiet night pays it in full. A
        # security responder idles cheaply (about 70 MiB, no CPU); its latency is the product.
        autoscaling.knative.dev/min-scale: "1"
        # Each instance applies its own blast-radius limit (MAX_ACTIONS per ACTIONS_WINDOW_SECONDS):
        # max-scale multiplies it. Two instances absorb an alert storm without letting a flood of
        # (possibly forged) alerts act on twice as many pods as one would.
        autoscaling.knative.dev/max-scale: "2"
    spec:
      serviceAccountName: ${serviceAccountName(spec.name)}
      # Alerts in flight per instance before Knative queues or scales out; each takes a few
      # Kubernetes API calls (milliseconds), so 10 leaves ample headroom.
      containerConcurrency: 10
      # Longest an alert may take (KUBE_TIMEOUT_MS x KUBE_RETRIES plus backoff stays under it).
      # It is also the pod's termination grace period: the function drains in-flight alerts
      # within SHUTDOWN_TIMEOUT_SECONDS (25 s default) after SIGTERM, before this runs out.
      timeoutSeconds: 30
      containers:
        # Knative's own default name, which \`kn service create\` gets too: one log command
        # (\`kubectl logs ... -c user-container\`) works for Services made either way.
        - name: user-container
          image: ghcr.io/example/${imageName(spec.name)}:0.1.0
          ports:
            - name: http1
              containerPort: 8080
          env:
            # Guard rails: only these rules, at least this priority (the Trigger routes the same).
            - name: RULES
              value: ${JSON.stringify(rules)}
            - name: MIN_PRIORITY
              value: ${minPriority}
            # "true" to watch decisions in the logs first without acting.
            - name: DRY_RUN
              value: "false"
            # The lock file is OpenFaaS's exec probe; Knative probes over HTTP. Empty: nothing is
            # written, so the root filesystem stays read-only.
            - name: LOCK_FILE
              value: ""
            - name: LOG_LEVEL
              value: info
            # Shared token: the Broker passes Falcosidekick's CloudEvent extension "authtoken" on.
            - name: AUTH_TOKEN
              valueFrom:
                secretKeyRef:
                  name: ${AUTH_TOKEN_SECRET}
                  key: token
          readinessProbe:
            httpGet:
              path: /readyz
            periodSeconds: 5
          livenessProbe:
            httpGet:
              path: /healthz
            periodSeconds: 10
            failureThreshold: 3
          resources:
            requests:
              cpu: 50m
              memory: 96Mi
            limits:
              memory: 256Mi
          securityContext:
            runAsNonRoot: true
            readOnlyRootFilesystem: true
            allowPrivilegeEscalation: false
            capabilities:
              drop: [ALL]
            seccompProfile:
              type: RuntimeDefault
`;
}

export function generatedFunctionManifests(specs: readonly ResponseFunctionSpec[] = FUNCTIONS): Record<string, string> {
  return {
    [STACK_FILE]: stackYaml(specs),
    ...Object.fromEntries(specs.map((spec) => [knativeServiceFile(spec.name), knativeServiceYaml(spec)])),
  };
}
