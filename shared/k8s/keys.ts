// Every label and annotation key the functions read or write on Kubernetes objects, in one
// place: docs/configuration.md's table of keys is generated from this list.

export const KEY_PREFIX = 'falco-response.dev';

interface KeyDeclaration {
  key: string;
  /** How the table shows a value, e.g. ': "true"'. */
  value?: string;
  on: string;
  meaning: string;
}

const key = (name: string, on: string, meaning: string, value?: string): KeyDeclaration => ({
  key: `${KEY_PREFIX}/${name}`,
  on,
  meaning,
  ...(value && { value }),
});

export const KEYS = {
  ignore: key('ignore', 'pod or namespace, label or annotation', 'never touched', ': "true"'),
  ignoreUntil: key('ignore-until', 'pod or namespace annotation', 'ignored until then (e.g. while someone debugs the pod)', ': <RFC 3339>'),
  quarantine: key('quarantine', 'pod label (isolate-pod)', 'what the quarantine NetworkPolicy selects', ': <pod uid>'),
  isolatedAt: key('isolated-at', 'pod and quarantine NetworkPolicy annotation (isolate-pod)', 'when the pod was isolated'),
  isolatedByRule: key('isolated-by-rule', 'pod annotation (isolate-pod)', 'the rule of the alert (at most 1,000 characters)'),
  quarantinePolicy: key('quarantine-policy', 'pod annotation (isolate-pod)', 'the name of the quarantine NetworkPolicy'),
  policyRule: key('rule', 'quarantine NetworkPolicy annotation (isolate-pod)', 'the rule of the alert (at most 1,000 characters)'),
  policyAlertTime: key('alert-time', 'quarantine NetworkPolicy annotation (isolate-pod)', 'the time of the alert'),
  policyPod: key('pod', 'quarantine NetworkPolicy annotation (isolate-pod)', 'the pod it quarantines'),
  previousReplicas: key('previous-replicas', 'workload annotation (scale-to-zero)', 'the replica count before the scale'),
  scaledToZeroAt: key('scaled-to-zero-at', 'workload annotation (scale-to-zero)', 'when it was scaled to 0'),
  scaledByRule: key('scaled-by-rule', 'workload annotation (scale-to-zero)', 'the rule of the alert (at most 1,000 characters)'),
  scaledForAlertTime: key('scaled-for-alert-time', 'workload annotation (scale-to-zero)', 'the time of the alert'),
  scaledForPod: key('scaled-for-pod', 'workload annotation (scale-to-zero)', 'the pod the alert named'),
  gitopsMode: key(
    'gitops-mode',
    'workload annotation (scale-to-zero)',
    '`suspend` or `commit`: the GitOps step taken with the scale, undone by restore',
  ),
  gitopsSuspended: key(
    'gitops-suspended',
    'workload annotation (scale-to-zero)',
    'JSON: the Flux or Argo CD object suspended (and the Argo CD automated sync policy turned off)',
  ),
  gitopsCommit: key(
    'gitops-commit',
    'workload annotation (scale-to-zero); Event annotation (the commit id)',
    'JSON: repository, branch, commit, file and the count it replaced',
  ),
  consequence: key(
    'consequence',
    'Event annotation (delete-pod)',
    'what follows the delete: `recreated`, `recreated-same-name`, `recreated-within-backoff-limit`, `gone-for-good` or `up-to-its-controller`',
  ),
  evidence: key('evidence', 'evidence Secret label', 'marks the evidence a function kept before it acted', ': "true"'),
  evidencePodNamespace: key('evidence-pod-namespace', 'evidence Secret label', 'the namespace of the pod acted on'),
  evidencePodName: key(
    'evidence-pod-name',
    'evidence Secret label',
    'the pod acted on (names longer than a label value: a hash; the annotation has it whole)',
  ),
  evidencePodUid: key('evidence-pod-uid', 'evidence Secret label', 'the UID of the pod acted on'),
  evidenceFunction: key('evidence-function', 'evidence Secret label', 'the function that acted'),
  evidenceRule: key(
    'evidence-rule',
    'evidence Secret label',
    "the alert's rule as a label value (lower case, at most 63 characters; the annotation has it whole)",
  ),
  evidenceCapturedAt: key(
    'evidence-captured-at',
    'evidence Secret label',
    'when it was captured, in seconds since 1970 (prune compares it)',
  ),
  evidencePod: key('evidence-pod', 'evidence Secret annotation', 'the pod acted on, <namespace>/<name>'),
  evidenceAlertRule: key('evidence-alert-rule', 'evidence Secret annotation', 'the rule of the alert (at most 1,000 characters)'),
  evidenceAlertTime: key('evidence-alert-time', 'evidence Secret annotation', 'the time of the alert'),
  evidenceSummary: key(
    'evidence-summary',
    'evidence Secret annotation',
    'JSON: what was kept, what was cut and what could not be captured',
  ),
  budgetSlots: key(
    'budget-slots',
    'the budget Lease annotation',
    'JSON: the slots taken in the current window (see the action budget below)',
  ),
} as const;

/** The Events' reportingController of a function. */
export const controllerOf = (fn: string) => `${KEY_PREFIX}/${fn}`;

// Annotation values may be long, but a rule name from an alert is bounded before it is kept.
const MAX_RULE_IN_ANNOTATION = 1000;

/** The alert's rule as an annotation keeps it. */
export function ruleAnnotation(rule: string): string {
  return rule.slice(0, MAX_RULE_IN_ANNOTATION);
}
