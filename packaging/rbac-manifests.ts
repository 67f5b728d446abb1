// The RBAC manifests for each deployment path, as YAML text, from packaging/rbac.ts (the
// same rules the integration tests prove):
//   knative/10-rbac.yaml             namespace falco-response; per function: ServiceAccount + ClusterRole + binding
//   openfaas/rbac-pro.yaml           namespace openfaas-fn; per function: ServiceAccount + ClusterRole + binding
//   openfaas/rbac-ce.yaml            one ClusterRole, the union, bound to openfaas-fn:default
//   examples/argo/function-rbac.yaml per function: ServiceAccount (argo-events) + ClusterRole + binding
// Each path names its ClusterRoles for itself (falco-response-<path>-<fn>), so deleting one
// path's file leaves the others' roles alone. Each file also makes the evidence namespace
// (falco-response-evidence, the same object in every file) and, per identity, a Role there
// allowing only `create` on Secrets (evidence kept before an action, shared/forensics/). Written by `make manifests`; a unit test fails
// when the committed files differ.
import { Document, isScalar, isSeq, visit } from 'yaml';
import {
  ARGO_NAMESPACE,
  clusterRoleName,
  KNATIVE_NAMESPACE,
  OPENFAAS_CE_CLUSTER_ROLE,
  OPENFAAS_FUNCTION_NAMESPACE,
  PART_OF,
  RBAC_PATH_LABEL,
  serviceAccountName,
  type RbacPath,
} from './names.ts';
import {
  clusterRoleFor,
  evidenceNamespacedRules,
  FUNCTION_SPECS,
  namespacedRulesFor,
  SHIPPED_EVIDENCE,
  unionNamespacedRules,
  unionRules,
} from './rbac.ts';
import { budgetLeaseNames } from '../shared/respond/shared-rbac.ts';
import type { PolicyRule, ResponseFunctionSpec } from '../shared/respond/function-spec.ts';

export interface ManifestObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

export interface CommentedObject {
  comment?: string;
  object: ManifestObject;
}

const RBAC_API = 'rbac.authorization.k8s.io/v1';

/** The label value of each generated file's objects: the OpenFaaS CE and Pro files are removed separately. */
type PathLabel = RbacPath | 'openfaas-ce';

const labelsFor = (component: string, path: PathLabel) => ({
  'app.kubernetes.io/part-of': PART_OF,
  'app.kubernetes.io/component': component,
  [RBAC_PATH_LABEL]: path,
});

function namespaceObject(name: string, path: PathLabel): ManifestObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { 'app.kubernetes.io/part-of': PART_OF, [RBAC_PATH_LABEL]: path } },
  };
}

/**
 * Where the evidence Secrets are kept. No path label: every path's file ships the same object, and
 * removing one path's RBAC by label must not take the evidence with it.
 */
export function evidenceNamespaceObject(name: string = SHIPPED_EVIDENCE.namespace): ManifestObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { 'app.kubernetes.io/part-of': PART_OF, 'app.kubernetes.io/component': 'evidence' } },
  };
}

/** An identity's Role and binding in the evidence namespace: `create` on Secrets, nothing else (it can never read one back). */
export function evidenceRoleObjects(
  name: string,
  component: string,
  path: PathLabel,
  subject: { name: string; namespace: string },
  evidenceNamespace: string = SHIPPED_EVIDENCE.namespace,
): CommentedObject[] {
  return [
    { object: namespacedRole(name, evidenceNamespace, component, path, evidenceNamespacedRules()) },
    { object: roleBinding(name, evidenceNamespace, component, path, subject) },
  ];
}

function serviceAccount(fn: string, namespace: string, path: PathLabel): ManifestObject {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: serviceAccountName(fn), namespace, labels: labelsFor(fn, path) } };
}

function ceClusterRole(): ManifestObject {
  return {
    apiVersion: RBAC_API,
    kind: 'ClusterRole',
    metadata: { name: OPENFAAS_CE_CLUSTER_ROLE, labels: labelsFor('openfaas-ce', 'openfaas-ce') },
    rules: unionRules(FUNCTION_SPECS),
  };
}

/** The ClusterRole of packaging/rbac.ts under this path's name, as plain manifest data. */
function functionClusterRole(spec: ResponseFunctionSpec, path: RbacPath): ManifestObject {
  const role = clusterRoleFor(spec, clusterRoleName(spec.name, path));
  return {
    apiVersion: RBAC_API,
    kind: 'ClusterRole',
    metadata: {
      name: role.metadata!.name!,
      labels: { ...role.metadata!.labels, 'app.kubernetes.io/component': spec.name, [RBAC_PATH_LABEL]: path },
    },
    rules: role.rules as PolicyRule[],
  };
}

function namespacedRole(name: string, namespace: string, component: string, path: PathLabel, rules: PolicyRule[]): ManifestObject {
  return { apiVersion: RBAC_API, kind: 'Role', metadata: { name, namespace, labels: labelsFor(component, path) }, rules };
}

function roleBinding(
  name: string,
  namespace: string,
  component: string,
  path: PathLabel,
  subject: { name: string; namespace: string },
): ManifestObject {
  return {
    apiVersion: RBAC_API,
    kind: 'RoleBinding',
    metadata: { name, namespace, labels: labelsFor(component, path) },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
    subjects: [{ kind: 'ServiceAccount', ...subject }],
  };
}

/**
 * The cluster-wide action budget's Leases (shared/coordination/action-budget.ts), shipped
 * empty: the functions only get and update them; a deleted one makes them fail safe (no
 * action) until it is applied again. `kubectl apply` again keeps the slots (an annotation it
 * does not manage).
 */
export function budgetLeases(
  namespace: string,
  path: PathLabel,
  functions: readonly string[] = FUNCTION_SPECS.map((spec) => spec.name),
  shared = true,
): CommentedObject[] {
  const names = budgetLeaseNames(functions).slice(shared ? 0 : 1);
  return names.map((name) => ({
    ...(shared && name === names[0]
      ? { comment: ' The action budget every function shares (BUDGET_LEASE); the others are the per-function option.' }
      : {}),
    object: {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name, namespace, labels: labelsFor('action-budget', path) },
      spec: {},
    },
  }));
}

function clusterRoleBinding(
  name: string,
  component: string,
  path: PathLabel,
  role: string,
  subject: { name: string; namespace: string },
): ManifestObject {
  return {
    apiVersion: RBAC_API,
    kind: 'ClusterRoleBinding',
    metadata: { name, labels: labelsFor(component, path) },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
    subjects: [{ kind: 'ServiceAccount', ...subject }],
  };
}

/** ServiceAccount, ClusterRole and ClusterRoleBinding of one function, for a platform that honours per-function identities. */
export function perFunctionObjects(spec: ResponseFunctionSpec, namespace: string, path: RbacPath): CommentedObject[] {
  const fn = spec.name;
  const role = clusterRoleName(fn, path);
  return [
    { comment: ` ${fn}: ${spec.summary}`, object: serviceAccount(fn, namespace, path) },
    // Cluster-wide: the pods a function acts on can be in any namespace (the guard rails keep it out of protected ones).
    { object: functionClusterRole(spec, path) },
    { object: clusterRoleBinding(role, fn, path, role, { name: serviceAccountName(fn), namespace }) },
    // Namespaced: only the budget's Leases, by name, in the functions' own namespace.
    { object: namespacedRole(role, namespace, fn, path, namespacedRulesFor(spec)) },
    { object: roleBinding(role, namespace, fn, path, { name: serviceAccountName(fn), namespace }) },
    // And creating its evidence Secrets, in the evidence namespace only.
    ...evidenceRoleObjects(role, fn, path, { name: serviceAccountName(fn), namespace }),
  ];
}

const evidenceNamespace: CommentedObject = {
  comment: ' Evidence kept before each action: one Secret per action; the functions may only create them.',
  object: evidenceNamespaceObject(),
};

// The namespaces come first, so the file applies alone on a fresh cluster.
function knativeRbac(): CommentedObject[] {
  return [
    { object: namespaceObject(KNATIVE_NAMESPACE, 'knative') },
    evidenceNamespace,
    ...FUNCTION_SPECS.flatMap((spec) => perFunctionObjects(spec, KNATIVE_NAMESPACE, 'knative')),
    ...budgetLeases(KNATIVE_NAMESPACE, 'knative'),
  ];
}

function openfaasProRbac(): CommentedObject[] {
  return [
    { object: namespaceObject(OPENFAAS_FUNCTION_NAMESPACE, 'openfaas') },
    evidenceNamespace,
    ...FUNCTION_SPECS.flatMap((spec) => perFunctionObjects(spec, OPENFAAS_FUNCTION_NAMESPACE, 'openfaas')),
    ...budgetLeases(OPENFAAS_FUNCTION_NAMESPACE, 'openfaas'),
  ];
}

// No Namespace but the evidence one: argo-events is Argo Events' own, made when Argo Events is installed.
function argoRbac(): CommentedObject[] {
  return [
    evidenceNamespace,
    ...FUNCTION_SPECS.flatMap((spec) => perFunctionObjects(spec, ARGO_NAMESPACE, 'argo')),
    ...budgetLeases(ARGO_NAMESPACE, 'argo'),
  ];
}

export function openfaasCeRbac(withNamespace = true): CommentedObject[] {
  return [
    ...(withNamespace ? [evidenceNamespace] : []),
    {
      comment: ` Union of ${FUNCTION_SPECS.map((spec) => spec.name).join(', ')}: OpenFaaS CE runs every function as openfaas-fn:default.`,
      object: ceClusterRole(),
    },
    {
      object: clusterRoleBinding(OPENFAAS_CE_CLUSTER_ROLE, 'openfaas-ce', 'openfaas-ce', OPENFAAS_CE_CLUSTER_ROLE, {
        name: 'default',
        namespace: OPENFAAS_FUNCTION_NAMESPACE,
      }),
    },
    {
      object: namespacedRole(
        OPENFAAS_CE_CLUSTER_ROLE,
        OPENFAAS_FUNCTION_NAMESPACE,
        'openfaas-ce',
        'openfaas-ce',
        unionNamespacedRules(FUNCTION_SPECS),
      ),
    },
    {
      object: roleBinding(OPENFAAS_CE_CLUSTER_ROLE, OPENFAAS_FUNCTION_NAMESPACE, 'openfaas-ce', 'openfaas-ce', {
        name: 'default',
        namespace: OPENFAAS_FUNCTION_NAMESPACE,
      }),
    },
    ...evidenceRoleObjects(OPENFAAS_CE_CLUSTER_ROLE, 'openfaas-ce', 'openfaas-ce', {
      name: 'default',
      namespace: OPENFAAS_FUNCTION_NAMESPACE,
    }),
    ...budgetLeases(OPENFAAS_FUNCTION_NAMESPACE, 'openfaas-ce'),
  ];
}

const GENERATED = [
  "# GENERATED from each function's rbacRules (functions/<name>/spec.ts) plus",
  '# SHARED_RBAC_RULES (shared/respond/shared-rbac.ts) and evidenceRbacRules',
  '# (shared/forensics/evidence-rbac.ts, as EVIDENCE=logs) by packaging/rbac-manifests.ts.',
  '# Do not edit: change the rules in the code, then run `make manifests`.',
];

/** How to remove one path's RBAC without `kubectl delete -f`, which would delete the namespace too. */
const removal = (path: PathLabel) => [
  `# To remove this RBAC alone (\`kubectl delete -f\` on this file deletes the namespaces too,`,
  `# the evidence namespace with every evidence Secret in it):`,
  `#   kubectl delete clusterrolebinding,clusterrole -l ${RBAC_PATH_LABEL}=${path}`,
  `#   kubectl delete serviceaccount,rolebinding,role,lease -A -l ${RBAC_PATH_LABEL}=${path}`,
];

const HEADERS = {
  'knative/10-rbac.yaml': [
    ...GENERATED,
    '#',
    '# Knative Serving: one ServiceAccount per function in namespace falco-response (named by',
    '# serviceAccountName in knative/20-*.yaml), each bound to a ClusterRole holding exactly',
    '# what that function uses. It creates the namespace itself, so it applies alone on a fresh',
    '# cluster (the Tekton example uses it that way).',
    ...removal('knative'),
  ],
  'openfaas/rbac-pro.yaml': [
    ...GENERATED,
    '#',
    '# OpenFaaS Pro: one ServiceAccount per function in openfaas-fn, selected by the annotation',
    '# com.openfaas.serviceaccount in stack.yml, each bound to its own minimal ClusterRole.',
    '# (OpenFaaS Community Edition ignores that annotation: use openfaas/rbac-ce.yaml there.)',
    '# It creates openfaas-fn if OpenFaaS has not, so it applies alone on a fresh cluster.',
    ...removal('openfaas'),
  ],
  'examples/argo/function-rbac.yaml': [
    ...GENERATED,
    '#',
    '# Argo Workflows: one ServiceAccount per function in argo-events, for the Workflow pods that',
    '# run the function once (examples/argo/sensor.yaml runs delete-pod), each bound to its own',
    "# ClusterRole holding exactly what that function uses. The Argo executor's own Role is in",
    '# examples/argo/rbac.yaml.',
  ],
  'openfaas/rbac-ce.yaml': [
    ...GENERATED,
    '#',
    '# OpenFaaS Community Edition runs EVERY function in openfaas-fn as the ServiceAccount',
    '# openfaas-fn:default (custom ServiceAccounts are an OpenFaaS Pro feature). So this binds the',
    "# UNION of the three functions' permissions to that one identity: each of delete-pod,",
    '# isolate-pod and scale-to-zero can do what any of them can (delete pods, patch pods, write',
    '# NetworkPolicies, scale workloads), and so can ANY other function deployed to openfaas-fn.',
    '# Keep openfaas-fn for these functions only, or use OpenFaaS Pro (openfaas/rbac-pro.yaml).',
  ],
} as const;

export type GeneratedManifestPath = keyof typeof HEADERS;

/** YAML as a person writes RBAC: lists of plain strings on one line (`verbs: [get, patch]`). */
export function toYaml(object: ManifestObject): string {
  const document = new Document(object);
  visit(document, {
    Seq(_key, node) {
      if (isSeq(node) && node.items.every((item) => isScalar(item))) node.flow = true;
    },
  });
  return document.toString({ lineWidth: 0, flowCollectionPadding: false });
}

function render(path: GeneratedManifestPath, entries: CommentedObject[]): string {
  const documents = entries.map(({ comment, object }) => `${comment ? `#${comment}\n` : ''}${toYaml(object)}`);
  return `${HEADERS[path].join('\n')}\n${documents.map((text) => `---\n${text}`).join('')}`;
}

/** Every generated manifest, by path relative to the repository root. */
export function generatedManifests(): Record<GeneratedManifestPath, string> {
  return {
    'knative/10-rbac.yaml': render('knative/10-rbac.yaml', knativeRbac()),
    'openfaas/rbac-pro.yaml': render('openfaas/rbac-pro.yaml', openfaasProRbac()),
    'openfaas/rbac-ce.yaml': render('openfaas/rbac-ce.yaml', openfaasCeRbac()),
    'examples/argo/function-rbac.yaml': render('examples/argo/function-rbac.yaml', argoRbac()),
  };
}
