// What the served repository holds for one test: a folder with a Deployment manifest and the
// kustomization.yaml listing it, committed as a developer would.
import type { GitServer } from './git-server.ts';
import { commitFiles } from './git-server.ts';
import { TEST_GRACE_SECONDS, TEST_IMAGE } from '../workloads/pods.ts';

export function deploymentYaml(name: string, replicas: number): string {
  return [
    '# The web front end.',
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    `  name: ${name}`,
    'spec:',
    `  replicas: ${replicas} # sized for the normal load`,
    '  selector:',
    `    matchLabels: { app: ${name} }`,
    '  template:',
    '    metadata:',
    `      labels: { app: ${name} }`,
    '    spec:',
    `      terminationGracePeriodSeconds: ${TEST_GRACE_SECONDS}`,
    '      containers:',
    '        - name: app',
    `          image: ${TEST_IMAGE}`,
    '',
  ].join('\n');
}

export const KUSTOMIZATION_YAML =
  '# Applied by Flux.\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - deployment.yaml\n';

/** `apps/<folder>/` with deployment.yaml and kustomization.yaml; returns the commit. */
export function commitApp(server: GitServer, folder: string, name: string, replicas: number): string {
  return commitFiles(
    server,
    { [`apps/${folder}/deployment.yaml`]: deploymentYaml(name, replicas), [`apps/${folder}/kustomization.yaml`]: KUSTOMIZATION_YAML },
    `add ${name} to apps/${folder}`,
  );
}
