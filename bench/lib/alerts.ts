// The two kinds of alert the benchmark sends: one every function filters out before any API
// call, and one that names a pod to act on. Stamped with the current time when made.
import { alertFor } from '../../testbed/alerts/alerts.ts';

/** Priority Debug is below the default MIN_PRIORITY (notice): skipped without an API call. */
export function filteredAlert(): string {
  return JSON.stringify(alertFor('bench', 'bench-pod', undefined, { priority: 'Debug' }));
}

/** A real "Terminal shell in container" alert naming namespace/pod. */
export function actingAlert(namespace: string, pod: string): string {
  return JSON.stringify(alertFor(namespace, pod));
}

export function outcomeOf(answerBody: string): string {
  return (JSON.parse(answerBody) as { outcome?: string }).outcome ?? '(none)';
}

/**
 * An alert at a priority every function takes, for a rule none is configured for (a Falco that
 * forwards everything at or above a priority sends each function such alerts): skipped without
 * an API call, counted per rule, logged in the interval's summary line.
 */
export function unselectedAlert(): string {
  return JSON.stringify(alertFor('bench', 'bench-pod', undefined, { rule: 'Read sensitive file untrusted', priority: 'Critical' }));
}
