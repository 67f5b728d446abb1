// Real Falco alerts re-aimed at the objects a test created, stamped with the current time.
import { falcoAlert, freshAlert } from './fixtures.ts';

export function alertFor(
  namespace: string,
  pod: string,
  containerId?: string,
  overrides: Record<string, unknown> = {},
): Record<string, any> {
  const alert = freshAlert(falcoAlert('terminal-shell-tekton'), overrides);
  alert.output_fields['k8s.ns.name'] = namespace;
  alert.output_fields['k8s.pod.name'] = pod;
  if (containerId) alert.output_fields['container.id'] = containerId;
  else delete alert.output_fields['container.id'];
  return alert;
}
