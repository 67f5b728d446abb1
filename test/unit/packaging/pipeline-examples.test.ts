// The Argo Events / Argo Workflows and Tekton examples run a function's image in one-shot mode
// with the alert in BODY. Their CRDs are not available here, so the objects are checked for
// structure and against the image and RBAC we ship, and the container they describe is run
// as the image runs it (its ENTRYPOINT, start.cjs, on the bundle `make bundle` builds) with the
// same arguments and environment.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARGO_NAMESPACE, AUTH_TOKEN_SECRET, clusterRoleName, KNATIVE_NAMESPACE, serviceAccountName } from '../../../packaging/names.ts';
import { entrypointIn, IMAGE_ENTRYPOINT, ONE_SHOT_ARGS } from '../../../packaging/start-command.ts';
import { buildBundles, type BuiltBundles } from '../../../testbed/packaging/bundles.ts';
import { configFromManifestEnv, configVariablesRead } from '../../../testbed/packaging/config.ts';
import {
  envOf,
  knativeServiceOf,
  readYamlDocument,
  readYamlDocuments,
  repoRoot,
  type Manifest,
} from '../../../testbed/packaging/manifests.ts';
import { runToCompletion } from '../../../testbed/process/container-process.ts';
import { freshAlert, recordedRequest } from '../../../testbed/alerts/fixtures.ts';

const FN = 'delete-pod';
const functionImage = knativeServiceOf(FN).spec.template.spec.containers[0].image;
const functionRules = envOf(knativeServiceOf(FN).spec.template.spec.containers[0]).RULES;

let bundles: BuiltBundles;
beforeAll(() => {
  bundles = buildBundles('frf-pipeline-examples-');
}, 120_000);
afterAll(() => bundles?.remove());

/** The comment next to the container says what runs: the image's ENTRYPOINT, with --once appended. */
function expectEntrypointNamed(file: string) {
  const text = readFileSync(join(repoRoot, file), 'utf8');
  expect(text).toContain(`ENTRYPOINT is \`${IMAGE_ENTRYPOINT.join(' ')}\``);
}

function expectOneShotContainer(container: Manifest, bodyReference: string) {
  expect(container.image).toBe(functionImage);
  // No command: the image's ENTRYPOINT (node /app/start.cjs) runs, with --once appended.
  expect(container.command).toBeUndefined();
  expect(container.args).toEqual([...ONE_SHOT_ARGS]);
  const env = envOf(container);
  expect(env.BODY).toBe(bodyReference);
  expect(env.RULES).toBe(functionRules);
  expect(env.LOCK_FILE).toBe('');
  const known = configVariablesRead();
  expect(Object.keys(env).filter((name) => name !== 'BODY' && !known.has(name))).toEqual([]);
  const { BODY: _body, ...settings } = env;
  expect(() => configFromManifestEnv(settings)).not.toThrow();
  expect(container.securityContext).toMatchObject({
    runAsNonRoot: true,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
  });
  return settings;
}

/** Runs the image's start command as the example's container would: its args, its env, BODY = a real alert. */
async function runOneShot(settings: Record<string, string>, body: string) {
  const offline = { ...settings, KUBECONFIG: '/nonexistent', HOME: '/nonexistent' };
  const appDir = join(bundles.outDir, FN);
  const { command, args } = entrypointIn(appDir);
  return runToCompletion(command, [...args, ...ONE_SHOT_ARGS], { cwd: appDir, env: { ...offline, BODY: body } });
}

// What Falcosidekick's webhook output posts (the body an EventSource or EventListener receives), stamped now.
const webhookBody = () => JSON.stringify(freshAlert(JSON.parse(recordedRequest('webhook-terminal-shell').body)));

describe('Argo Events + Argo Workflows', () => {
  const rbac = readYamlDocuments('examples/argo/rbac.yaml');
  const sensor = readYamlDocument('examples/argo/sensor.yaml');
  const eventSource = readYamlDocument('examples/argo/event-source.yaml');
  const trigger = sensor.spec.triggers[0].template;
  const workflow = trigger.argoWorkflow.source.resource;
  const template = workflow.spec.templates.find((t: Manifest) => t.name === workflow.spec.entrypoint);

  it("the Sensor listens to the EventSource and passes only the function's rule", () => {
    const dependency = sensor.spec.dependencies[0];
    expect(dependency.eventSourceName).toBe(eventSource.metadata.name);
    expect(Object.keys(eventSource.spec.webhook)).toContain(dependency.eventName);
    expect(dependency.filters.data).toEqual([{ path: 'body.rule', type: 'string', value: [functionRules] }]);
  });

  it('submits a Workflow whose argument `alert` receives the webhook body', () => {
    expect(trigger.argoWorkflow.operation).toBe('submit');
    expect(workflow).toMatchObject({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow' });
    const index = workflow.spec.arguments.parameters.findIndex((p: Manifest) => p.name === 'alert');
    expect(trigger.argoWorkflow.parameters).toEqual([
      { src: { dependencyName: sensor.spec.dependencies[0].name, dataKey: 'body' }, dest: `spec.arguments.parameters.${index}.value` },
    ]);
    expect(template.inputs.parameters.map((p: Manifest) => p.name)).toContain('alert');
  });

  it('runs the function image in one-shot mode with the alert in BODY, retrying only failures (exit 1)', async () => {
    const settings = expectOneShotContainer(template.container, '{{inputs.parameters.alert}}');
    expectEntrypointNamed('examples/argo/sensor.yaml');
    expect(template.retryStrategy.expression).toBe('asInt(lastRetry.exitCode) == 1');
    const run = await runOneShot(settings, webhookBody());
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ function: FN, outcome: 'dry-run' });
    const notAnAlert = await runOneShot(settings, '{"hello":"world"}');
    expect(notAnAlert.code).toBe(2); // not retried by the expression above
  });

  it("the workflow runs as the function's ServiceAccount, bound to the ClusterRole generated for this example", () => {
    const account = workflow.spec.serviceAccountName;
    expect(account).toBe(serviceAccountName(FN));
    const namespace = sensor.metadata.namespace;
    const functionRbac = readYamlDocuments('examples/argo/function-rbac.yaml');
    expect(functionRbac).toContainEqual(
      expect.objectContaining({ kind: 'ServiceAccount', metadata: expect.objectContaining({ name: account, namespace }) }),
    );
    const binding = functionRbac.find((doc) => doc.kind === 'ClusterRoleBinding' && doc.roleRef.name === clusterRoleName(FN, 'argo'))!;
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRoleName(FN, 'argo') });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: account, namespace }]);
    expect(rbac.filter((doc) => doc.kind === 'ClusterRoleBinding' || doc.kind === 'ClusterRole')).toEqual([]);
    const sensorAccount = sensor.spec.template.serviceAccountName;
    const sensorRole = rbac.find((doc) => doc.kind === 'Role' && doc.metadata.name === sensorAccount)!;
    expect(sensorRole.rules).toEqual([{ apiGroups: ['argoproj.io'], resources: ['workflows'], verbs: ['create'] }]);
  });

  it('an EventBus named `default` is shipped in the namespace of the EventSource and the Sensor (neither names another)', () => {
    const bus = readYamlDocument('examples/argo/event-bus.yaml');
    expect(bus).toMatchObject({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'EventBus',
      metadata: { name: 'default', namespace: ARGO_NAMESPACE },
    });
    expect(Object.keys(bus.spec)).toEqual(['jetstream']);
    for (const object of [eventSource, sensor]) {
      expect(object.metadata.namespace).toBe(ARGO_NAMESPACE);
      expect(object.spec.eventBusName ?? 'default').toBe('default');
    }
  });

  it("the EventSource requires the shared token (authSecret: the Bearer token Falcosidekick's webhook output sends)", () => {
    expect(eventSource.spec.webhook[sensor.spec.dependencies[0].eventName].authSecret).toEqual({ name: AUTH_TOKEN_SECRET, key: 'token' });
    expect(readFileSync(join(repoRoot, 'examples/argo/README.md'), 'utf8')).toContain(
      `-n ${ARGO_NAMESPACE} create secret generic ${AUTH_TOKEN_SECRET} --from-literal=token="$TOKEN"`,
    );
  });
});

describe('Tekton Triggers + Tekton Pipelines', () => {
  const task = readYamlDocument('examples/tekton/task.yaml');
  const triggers = readYamlDocuments('examples/tekton/triggers.yaml');
  const rbac = readYamlDocuments('examples/tekton/rbac.yaml');
  const of = (kind: string) => triggers.find((doc) => doc.kind === kind)!;

  it('the Task runs the function image in one-shot mode with its `alert` parameter in BODY', async () => {
    expect(task).toMatchObject({ apiVersion: 'tekton.dev/v1', kind: 'Task', metadata: { namespace: KNATIVE_NAMESPACE } });
    expect(task.spec.params.map((p: Manifest) => p.name)).toEqual(['alert']);
    expect(task.spec.steps).toHaveLength(1);
    const settings = expectOneShotContainer(task.spec.steps[0], '$(params.alert)');
    expectEntrypointNamed('examples/tekton/task.yaml');
    const run = await runOneShot(settings, webhookBody());
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ function: FN, outcome: 'dry-run' });
  });

  it('EventListener → TriggerBinding → TriggerTemplate → TaskRun of that Task, the body as `alert`', () => {
    const listener = of('EventListener');
    const binding = of('TriggerBinding');
    const template = of('TriggerTemplate');
    expect(binding.spec.params).toEqual([{ name: 'alert', value: '$(body)' }]);
    const route = listener.spec.triggers[0];
    expect(route.bindings).toEqual([{ ref: binding.metadata.name }]);
    expect(route.template).toEqual({ ref: template.metadata.name });
    expect(route.interceptors[1].params).toEqual([{ name: 'filter', value: `body.rule == '${functionRules}'` }]);
    expect(template.spec.params).toEqual([{ name: 'alert' }]);
    const taskRun = template.spec.resourcetemplates[0];
    expect(taskRun).toMatchObject({
      apiVersion: 'tekton.dev/v1',
      kind: 'TaskRun',
      spec: { taskRef: { name: task.metadata.name }, params: [{ name: 'alert', value: '$(tt.params.alert)' }] },
    });
  });

  it('the EventListener checks the shared token before anything else (gitlab interceptor with only secretRef: X-Gitlab-Token, constant time)', () => {
    const interceptors = of('EventListener').spec.triggers[0].interceptors;
    expect(interceptors[0]).toEqual({
      ref: { name: 'gitlab' },
      params: [{ name: 'secretRef', value: { secretName: AUTH_TOKEN_SECRET, secretKey: 'token' } }],
    });
    expect(readFileSync(join(repoRoot, 'examples/tekton/README.md'), 'utf8')).toContain('webhook-customheaders="X-Gitlab-Token:$TOKEN"');
  });

  it("TaskRuns run as the function's ServiceAccount from knative/10-rbac.yaml; the EventListener has its own", () => {
    const taskRun = of('TriggerTemplate').spec.resourcetemplates[0];
    expect(taskRun.spec.serviceAccountName).toBe(serviceAccountName(FN));
    expect(readYamlDocuments('knative/10-rbac.yaml')).toContainEqual(
      expect.objectContaining({
        kind: 'ServiceAccount',
        metadata: expect.objectContaining({ name: serviceAccountName(FN), namespace: task.metadata.namespace }),
      }),
    );
    const listenerAccount = of('EventListener').spec.serviceAccountName;
    expect(rbac).toContainEqual(
      expect.objectContaining({
        kind: 'ServiceAccount',
        metadata: expect.objectContaining({ name: listenerAccount, namespace: KNATIVE_NAMESPACE }),
      }),
    );
    expect(
      rbac
        .filter((doc) => doc.kind.endsWith('Binding'))
        .map((doc) => doc.roleRef.name)
        .sort(),
    ).toEqual(['tekton-triggers-eventlistener-clusterroles', 'tekton-triggers-eventlistener-roles']);
  });
});

describe("the README's one-shot example", () => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const stamp = readme.split('\n').find((line) => line.startsWith('BODY=') && line.includes('examples/alert.json'));

  it('stamps examples/alert.json with the current time, so the function acts on it (here: dry-run) instead of skipping it as too old', async () => {
    expect(stamp, 'the README sets BODY from examples/alert.json').toBeDefined();
    const shell = await runToCompletion('bash', ['-euo', 'pipefail', '-c', `${stamp}\nprintf '%s' "$BODY"`], { cwd: repoRoot, env: {} });
    expect(shell.code, shell.stderr).toBe(0);
    const alert = JSON.parse(shell.stdout);
    expect(Math.abs(Date.now() - Date.parse(alert.time))).toBeLessThan(60_000);
    const committed = JSON.parse(readFileSync(join(repoRoot, 'examples/alert.json'), 'utf8'));
    expect({ ...alert, time: committed.time }).toEqual(committed);
    const settings = { RULES: functionRules!, LOCK_FILE: '' };
    const run = await runOneShot(settings, shell.stdout);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ function: FN, outcome: 'dry-run', target: { namespace: 'demo', pod: 'alpine' } });
    const unstamped = await runOneShot(settings, JSON.stringify(committed));
    expect(JSON.parse(unstamped.stdout)).toMatchObject({ outcome: 'skipped', reason: 'alert-too-old' });
  });
});
