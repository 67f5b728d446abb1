// The command blocks of the README (and of docs/ and the examples' READMEs), run as a newcomer
// runs them: one shell session after another (exported variables carry over, as in a terminal),
// with a real kubectl against a fresh kube-apiserver of its own. Blocks that need what this
// machine cannot run (helm, faas-cli, kn, docker, a kubelet, Knative's controllers, Argo, Tekton,
// a real Falcosidekick) are listed below with the reason; every block is in one list or the other.
import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { k8sCacheDir, k8sVersions } from '../../../testbed/cluster/binaries.ts';
import { startTestCluster, type TestCluster } from '../../../testbed/cluster/control-plane.ts';
import { commandBlocks, commandPages, fenceLanguages, type CommandBlock } from '../../../testbed/packaging/doc-blocks.ts';
import { repoRoot } from '../../../testbed/packaging/manifests.ts';
import { runToCompletion } from '../../../testbed/process/container-process.ts';

/** The kubectl scripts/build-k8s.sh builds, of the same Kubernetes release as the test API server. */
function kubectlBinary(): string {
  const path = join(k8sCacheDir(), `kubectl-${k8sVersions().kubernetes}`);
  if (!existsSync(path))
    throw new Error(`no kubectl at ${path}: run \`make k8s-binaries\` (scripts/build-k8s.sh builds it with kube-apiserver)`);
  return path;
}

interface Session {
  dir: string;
  home: string;
  env: Record<string, string>;
  file: string;
}

/** Runs shell text in the session: the variables exported by earlier blocks are there, and the ones it exports are kept. */
async function sh(session: Session, text: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const script = `set -euo pipefail\nsource ${JSON.stringify(session.file)}\n${text}\nexport -p > ${JSON.stringify(session.file)}\n`;
  return runToCompletion('bash', ['-c', script], { cwd: repoRoot, env: session.env });
}

async function kubectl(session: Session, args: string): Promise<string> {
  const run = await sh(session, `kubectl ${args}`);
  if (run.code !== 0) throw new Error(`kubectl ${args}: ${run.stderr}`);
  return run.stdout;
}

const secretValue = async (session: Session, namespace: string, name: string, key: string) =>
  Buffer.from(
    await kubectl(session, `-n ${namespace} get secret ${name} -o jsonpath='{.data.${key.replace(/\./g, '\\.')}}'`),
    'base64',
  ).toString('utf8');

const sessionVariable = async (session: Session, name: string) => (await sh(session, `printf '%s' "\${${name}:-}"`)).stdout;

interface RunHere {
  file: string;
  first: string;
  /** Shell run first, standing in for an earlier step this machine cannot run (installing Knative, OpenFaaS...). */
  before?: string;
  /** Placeholders of the block (`<ns>`) and what they are here. */
  placeholders?: Record<string, string>;
  /** Run it a second time: the README promises it can be. */
  twice?: boolean;
  check(session: Session): Promise<void>;
}

const KNATIVE_CRD = 'test/fixtures/knative/serving-crd-service.yaml';
// Standing in for installing Knative Serving: its Service CRD, once the API server serves it
// (kubectl wait fails while the CRD has no conditions yet, so it is retried).
const installKnativeServing = [
  `kubectl apply -f ${KNATIVE_CRD} >/dev/null`,
  'for attempt in $(seq 100); do kubectl wait --for=condition=Established crd/services.serving.knative.dev --timeout=30s >/dev/null 2>&1 && break; sleep 0.2; done',
  'kubectl wait --for=condition=Established crd/services.serving.knative.dev --timeout=30s >/dev/null',
].join('\n');

// Standing in for installing Knative Eventing: its Broker and Trigger CRDs, from knative.dev/eventing's
// Go module (scripts/fetch-crds.sh prints where), applied server-side as they are large.
const installKnativeEventing = [
  'scripts/fetch-crds.sh | awk \'$1 == "broker.yaml" || $1 == "trigger.yaml" { print $2 }\' | while read -r crd; do kubectl apply --server-side -f "$crd" >/dev/null; done',
  'for crd in brokers.eventing.knative.dev triggers.eventing.knative.dev; do',
  '  for attempt in $(seq 100); do kubectl wait --for=condition=Established "crd/$crd" --timeout=30s >/dev/null 2>&1 && break; sleep 0.2; done',
  '  kubectl wait --for=condition=Established "crd/$crd" --timeout=30s >/dev/null',
  'done',
].join('\n');

const RUN_HERE: RunHere[] = [
  {
    file: 'README.md',
    first: '(umask 077 && openssl rand -hex 32 > ~/.falco-response-token)   # once; kept out of your shell history',
    async check(session) {
      const file = join(session.home, '.falco-response-token');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const token = readFileSync(file, 'utf8').trim();
      expect(token).toMatch(/^[0-9a-f]{64}$/);
      expect(await sessionVariable(session, 'TOKEN')).toBe(token);
    },
  },
  {
    file: 'README.md',
    first: 'kubectl create namespace falco --dry-run=client -o yaml | kubectl apply -f -',
    twice: true,
    async check(session) {
      const token = await sessionVariable(session, 'TOKEN');
      expect(await secretValue(session, 'falco', 'falcosidekick-falco-response', 'webhook-customheaders')).toBe(
        `Authorization:Bearer ${token}`,
      );
      expect(await secretValue(session, 'falco', 'falcosidekick-falco-response', 'cloudevents-extensions')).toBe(`authtoken:${token}`);
    },
  },
  {
    file: 'README.md',
    first:
      "TOKEN=$(kubectl -n falco get secret falcosidekick-falco-response -o jsonpath='{.data.cloudevents-extensions}' | base64 -d | cut -d: -f2)",
    before: 'unset TOKEN   # a new shell',
    async check(session) {
      expect(await sessionVariable(session, 'TOKEN')).toBe(readFileSync(join(session.home, '.falco-response-token'), 'utf8').trim());
    },
  },
  {
    file: 'README.md',
    first: 'kubectl apply -f operations/',
    twice: true,
    async check(session) {
      expect(
        await kubectl(
          session,
          '-n falco-response-evidence get cronjob falco-response-evidence-prune -o jsonpath={.spec.jobTemplate.spec.template.spec.containers[0].args}',
        ),
      ).toBe('["evidence","prune","--older-than","30d","--evidence-namespace","falco-response-evidence"]');
      expect(await kubectl(session, 'get clusterrole falco-response-operator -o name')).toBe(
        'clusterrole.rbac.authorization.k8s.io/falco-response-operator\n',
      );
    },
  },
  {
    file: 'README.md',
    first: 'kubectl apply -f openfaas/rbac-ce.yaml',
    before: "kubectl create namespace openfaas-fn --dry-run=client -o yaml | kubectl apply -f - >/dev/null   # OpenFaaS's namespaces.yml",
    twice: true,
    async check(session) {
      expect(
        await kubectl(
          session,
          'get clusterrolebinding falco-response-openfaas-ce -o jsonpath={.subjects[0].namespace}/{.subjects[0].name}',
        ),
      ).toBe('openfaas-fn/default');
      expect(await kubectl(session, '-n openfaas-fn get networkpolicy falco-response-ingress -o name')).toContain('falco-response-ingress');
    },
  },
  {
    file: 'README.md',
    first: 'kubectl apply -f knative/00-namespace.yaml -f knative/10-rbac.yaml',
    before: installKnativeServing,
    twice: true,
    async check(session) {
      expect((await kubectl(session, '-n falco-response get ksvc -o name')).trim().split('\n').sort()).toEqual(
        ['delete-pod', 'isolate-pod', 'scale-to-zero'].map((fn) => `service.serving.knative.dev/${fn}`),
      );
      expect(await secretValue(session, 'falco-response', 'falco-response-token', 'token')).toBe(await sessionVariable(session, 'TOKEN'));
      expect(await kubectl(session, '-n falco-response get networkpolicy falco-response-ingress -o name')).toContain(
        'falco-response-ingress',
      );
    },
  },
  {
    file: 'README.md',
    first: 'kubectl apply -f knative/eventing/',
    before: installKnativeEventing,
    twice: true,
    async check(session) {
      expect(await kubectl(session, '-n falco-response get broker falco-alerts -o jsonpath={.spec.delivery.deadLetterSink.ref.name}')).toBe(
        'falco-response-dead-letters',
      );
      expect((await kubectl(session, '-n falco-response get trigger -o name')).trim().split('\n').sort()).toEqual(
        ['delete-pod', 'isolate-pod', 'scale-to-zero'].map((fn) => `trigger.eventing.knative.dev/${fn}`),
      );
      expect(await kubectl(session, '-n falco-response get configmap,ksvc falco-response-dead-letters -o name')).toContain(
        'configmap/falco-response-dead-letters',
      );
    },
  },
  {
    file: 'README.md',
    first: 'kubectl -n <ns> delete networkpolicy falco-quarantine-<pod>',
    before: [
      'kubectl create namespace shop >/dev/null',
      'kubectl -n shop run web-1 --image=nginx --restart=Never --labels=falco-response.dev/quarantine=uid-1 >/dev/null',
      "kubectl -n shop create -f - >/dev/null <<'EOF'\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: falco-quarantine-web-1}\nspec: {podSelector: {matchLabels: {falco-response.dev/quarantine: uid-1}}, policyTypes: [Ingress, Egress]}\nEOF",
    ].join('\n'),
    placeholders: { '<ns>': 'shop', '<pod>': 'web-1' },
    async check(session) {
      expect(await kubectl(session, '-n shop get networkpolicy -o name')).toBe('');
      expect(await kubectl(session, "-n shop get pod web-1 -o jsonpath='{.metadata.labels}'")).not.toContain(
        'falco-response.dev/quarantine',
      );
    },
  },
  {
    file: 'README.md',
    first: "kubectl -n <ns> get deploy <name> -o jsonpath='{.metadata.annotations.falco-response\\.dev/previous-replicas}'",
    before: [
      'kubectl -n shop create deployment web --image=nginx --replicas=0 >/dev/null',
      'kubectl -n shop annotate deployment web falco-response.dev/previous-replicas=3 >/dev/null',
    ].join('\n'),
    placeholders: { '<ns>': 'shop', '<name>': 'web', '<that count>': '3' },
    async check(session) {
      expect(await kubectl(session, '-n shop get deploy web -o jsonpath={.spec.replicas}')).toBe('3');
    },
  },
  {
    file: 'README.md',
    first: 'BODY=$(sed "s/\\"time\\": \\"[^\\"]*\\"/\\"time\\": \\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\\"/" examples/alert.json)',
    async check(session) {
      const alert = JSON.parse(await sessionVariable(session, 'BODY'));
      expect(Math.abs(Date.now() - Date.parse(alert.time))).toBeLessThan(60_000);
      expect(alert.output_fields['k8s.ns.name']).toBe('demo');
    },
  },
  {
    file: 'README.md',
    first: 'kubectl delete clusterrolebinding,clusterrole -l falco-response.dev/rbac-path=knative',
    async check(session) {
      // The Knative path's RBAC is gone; the other paths' roles, applied earlier, are untouched.
      expect(await kubectl(session, 'get clusterrole -l falco-response.dev/rbac-path=knative -o name')).toBe('');
      expect(await kubectl(session, 'get serviceaccount -A -l falco-response.dev/rbac-path=knative -o name')).toBe('');
      const remaining = (await kubectl(session, 'get clusterrole -l app.kubernetes.io/part-of=falco-response-functions -o name'))
        .trim()
        .split('\n')
        .sort();
      expect(remaining).toEqual([
        'clusterrole.rbac.authorization.k8s.io/falco-response-openfaas-ce',
        'clusterrole.rbac.authorization.k8s.io/falco-response-openfaas-delete-pod',
        'clusterrole.rbac.authorization.k8s.io/falco-response-openfaas-isolate-pod',
        'clusterrole.rbac.authorization.k8s.io/falco-response-openfaas-scale-to-zero',
        // The on-call people's role (operations/) belongs to no path.
        'clusterrole.rbac.authorization.k8s.io/falco-response-operator',
      ]);
      expect(await kubectl(session, '-n falco-response get ksvc -o name')).toContain('delete-pod');
    },
  },
  {
    file: 'docs/kn-commands.md',
    first: 'kubectl apply -f knative/00-namespace.yaml -f knative/10-rbac.yaml',
    twice: true,
    async check(session) {
      expect(await secretValue(session, 'falco-response', 'falco-response-token', 'token')).toBe(await sessionVariable(session, 'TOKEN'));
    },
  },
  {
    file: 'examples/tekton/README.md',
    first: 'kubectl -n falco create secret generic falcosidekick-falco-response \\',
    twice: true,
    async check(session) {
      expect(await secretValue(session, 'falco', 'falcosidekick-falco-response', 'webhook-customheaders')).toBe(
        `X-Gitlab-Token:${await sessionVariable(session, 'TOKEN')}`,
      );
    },
  },
];

/** Blocks that cannot run on this machine, and why. */
const NOT_HERE: Array<{ file: string; first: string; reason: string }> = [
  {
    file: 'README.md',
    first: 'make demo   # sets up, then runs the whole chain on this machine and shows what happens',
    reason: 'make demo and make test: test/e2e/demo.test.ts runs the demo, and the suite cannot run itself',
  },
  {
    file: 'README.md',
    first: 'make install-cli   # falco-response and kubectl-falco_response in ~/.local/bin',
    reason:
      'installs into the home directory; test/unit/cli/install.test.ts runs make install-cli into a temporary PREFIX and runs both names',
  },
  {
    file: 'README.md',
    first: 'falco-response release pod/<pod> -n <ns> --dry-run   # what it would remove',
    reason:
      'a quarantine needs isolate-pod to have acted: release (its --dry-run, refusals and exit codes) is pinned by test/integration/cli/falco-response.test.ts, and make demo runs it',
  },
  {
    file: 'README.md',
    first: 'falco-response restore deployment/<name> -n <ns> --dry-run',
    reason:
      'a workload at 0 needs scale-to-zero to have acted: restore is pinned by test/integration/cli/falco-response.test.ts, and make demo runs it',
  },
  {
    file: 'README.md',
    first: 'make bundle',
    reason: 'pushes images (docker buildx, faas-cli up); make bundle alone is run by test/unit/packaging/bundle.test.ts',
  },
  {
    file: 'docs/images.md',
    first: "docker buildx imagetools inspect node:24.9.0-alpine3.22 --format '{{json .Manifest.Digest}}'",
    reason: 'docker and crane, and a registry',
  },
  {
    file: 'README.md',
    first: 'helm repo add falcosecurity https://falcosecurity.github.io/charts && helm repo update',
    reason: 'the falcosecurity chart repository cannot be reached from this machine',
  },
  {
    file: 'README.md',
    first: 'helm repo add openfaas https://openfaas.github.io/faas-netes/ && helm repo update',
    reason: 'the openfaas chart repository cannot be reached from here, and faas-cli is not installable',
  },
  {
    file: 'docs/configuration.md',
    first:
      "kubectl -n falco-response get lease falco-response-budget -o jsonpath='{.metadata.annotations.falco-response\\.dev/budget-slots}'",
    reason:
      'running functions that take budget slots; the Lease and its budget-slots annotation are pinned by test/integration/action-budget.test.ts',
  },
  {
    file: 'README.md',
    first: 'export REGISTRY=ghcr.io/your-org TAG=0.1.0',
    reason:
      'the chart on Knative needs Knative Serving and Eventing installed; test/unit/packaging/chart-readme.test.ts renders this exact command with the real helm, test/integration/packaging/chart-install.test.ts installs, upgrades and uninstalls the chart with the CRDs',
  },
  {
    file: 'README.md',
    first: 'helm install falco-response charts/falco-response-functions \\',
    reason:
      'OpenFaaS and faas-cli; the helm install itself is rendered as written by test/unit/packaging/chart-readme.test.ts and installed by test/integration/packaging/chart-install.test.ts',
  },
  {
    file: 'README.md',
    first: 'faas-cli secret create falco-response-token --from-literal "$TOKEN" ||',
    reason: 'faas-cli and an OpenFaaS gateway',
  },
  {
    file: 'README.md',
    first: 'helm upgrade --install falco falcosecurity/falco -n falco -f falcosidekick/values-falco-chart-openfaas.yaml',
    reason: 'the falco chart (from its repository, not reachable here), and Falco needs a node to run on',
  },
  {
    file: 'README.md',
    first: 'helm upgrade --install falco falcosecurity/falco -n falco -f falcosidekick/values-falco-chart-knative.yaml \\',
    reason: 'the falco chart (from its repository, not reachable here), and Falco needs a node to run on',
  },
  {
    file: 'README.md',
    first: 'kubectl create namespace demo --dry-run=client -o yaml | kubectl apply -f -',
    reason: 'a pod that runs and a shell in it need a kubelet, and the alert needs Falco',
  },
  {
    file: 'README.md',
    first: 'kubectl -n falco port-forward svc/falco-falcosidekick 2801:2801 &',
    reason: "a real Falcosidekick; its /test alert's answer is pinned by test/unit/packaging/deploy-docs.test.ts",
  },
  {
    file: 'README.md',
    first: 'kubectl -n falco-response wait broker/falco-alerts --for=condition=Ready --timeout=2m',
    reason: "a Broker made ready by Knative Eventing's controller",
  },
  {
    file: 'README.md',
    first: 'docker run --rm -e BODY="$BODY" -e DRY_RUN=true ghcr.io/your-org/falco-delete-pod:0.1.0 --once',
    reason: 'docker and a pushed image; the same one-shot run on the bundle is test/unit/packaging/pipeline-examples.test.ts',
  },
  {
    file: 'docs/kn-commands.md',
    first: 'kn service create delete-pod \\',
    reason: 'kn (its flags are checked against the YAML by test/unit/packaging/kn-commands.test.ts)',
  },
  { file: 'docs/kn-commands.md', first: 'kn service create isolate-pod \\', reason: 'kn' },
  { file: 'docs/kn-commands.md', first: 'kn service create scale-to-zero \\', reason: 'kn' },
  { file: 'docs/kn-commands.md', first: 'kn broker create falco-alerts \\', reason: 'kn and Knative Eventing' },
  { file: 'docs/kn-commands.md', first: 'kn trigger create delete-pod \\', reason: 'kn and Knative Eventing' },
  { file: 'docs/kn-commands.md', first: 'kn trigger create isolate-pod \\', reason: 'kn and Knative Eventing' },
  { file: 'docs/kn-commands.md', first: 'kn trigger create scale-to-zero \\', reason: 'kn and Knative Eventing' },
  { file: 'docs/kn-commands.md', first: 'kn service describe delete-pod -n falco-response -o yaml', reason: 'kn' },
  {
    file: 'examples/argo/README.md',
    first: 'kubectl -n argo-events create secret generic falco-response-token --from-literal=token="$TOKEN" \\',
    reason: "Argo Events' CRDs (EventBus, EventSource, Sensor)",
  },
  {
    file: 'examples/tekton/README.md',
    first: 'kubectl apply -f knative/10-rbac.yaml   # namespace falco-response, ServiceAccount + ClusterRole of delete-pod',
    reason: "Tekton's CRDs (Task, EventListener, ...)",
  },
];

const blocks = commandPages().flatMap(commandBlocks);
const named = (block: CommandBlock, entry: { file: string; first: string }) => block.file === entry.file && block.first === entry.first;

let cluster: TestCluster;
let session: Session;

beforeAll(async () => {
  const kubectlPath = kubectlBinary();
  cluster = await startTestCluster();
  const dir = mkdtempSync(join(tmpdir(), 'frf-readme-'));
  const bin = join(dir, 'bin');
  const home = join(dir, 'home');
  await runToCompletion('mkdir', ['-p', bin, home], { cwd: dir, env: {} });
  symlinkSync(kubectlPath, join(bin, 'kubectl'));
  const env = { PATH: `${bin}:/usr/local/bin:/usr/bin:/bin`, HOME: home, KUBECONFIG: cluster.kubeconfigPath };
  session = { dir, home, env, file: join(dir, 'session.sh') };
  writeFileSync(session.file, '');
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
  if (session) rmSync(session.dir, { recursive: true, force: true });
});

describe('the command blocks of the README, docs/ and the examples', () => {
  it('every block is either run below or listed with the reason it cannot run here', () => {
    expect(blocks.length).toBeGreaterThan(20);
    const unaccounted = blocks.filter(
      (block) => !RUN_HERE.some((entry) => named(block, entry)) && !NOT_HERE.some((entry) => named(block, entry)),
    );
    expect(unaccounted.map((block) => `${block.file}: ${block.first}`)).toEqual([]);
    const stale = [...RUN_HERE, ...NOT_HERE].filter((entry) => !blocks.some((block) => named(block, entry)));
    expect(stale.map((entry) => `${entry.file}: ${entry.first}`)).toEqual([]);
    // A block without a language could hold commands this count misses.
    expect(commandPages().filter((page) => fenceLanguages(page).includes(''))).toEqual([]);
  });

  it("uses the kubectl of the test API server's release", async () => {
    const version = JSON.parse(await kubectl(session, 'version -o json'));
    expect(version.clientVersion.gitVersion).toBe(k8sVersions().kubernetes);
    expect(version.serverVersion.gitVersion).toBe(k8sVersions().kubernetes);
  });

  it.each(['knative/10-rbac.yaml', 'openfaas/rbac-pro.yaml'])(
    '`kubectl apply -f %s` alone works on a fresh cluster (the file creates its namespace)',
    async (file) => {
      const run = await sh(session, `kubectl apply -f ${file}`);
      expect(run.code, run.stderr).toBe(0);
    },
  );

  // In page order, as a reader goes: later blocks rely on what earlier ones made.
  const runnable = blocks.flatMap((block) => {
    const entry = RUN_HERE.find((candidate) => named(block, candidate));
    return entry ? [[`${block.file}: ${block.first}`, block, entry] as const] : [];
  });

  it.each(runnable)('%s', async (_name, block, entry) => {
    if (entry.before) {
      const prepared = await sh(session, entry.before);
      expect(prepared.code, `before: ${prepared.stderr}`).toBe(0);
    }
    let text = block.text;
    for (const [placeholder, value] of Object.entries(entry.placeholders ?? {})) text = text.replaceAll(placeholder, value);
    expect(text, 'every placeholder of the block is given a value').not.toMatch(/<[a-z][a-z ]*>/);
    for (const round of entry.twice ? [1, 2] : [1]) {
      const run = await sh(session, text);
      expect(run.code, `run ${round}:\n${run.stderr}`).toBe(0);
    }
    await entry.check(session);
  });
});
