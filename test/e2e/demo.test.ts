// `make demo` runs end to end as a person would run it, and leaves nothing behind: the
// script's own output is the evidence (each ✓ line is printed only after the demo read the
// state back from the API server), and what it started is checked from outside afterwards.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../testbed/functions/bundles.ts';
import { assertImageNode } from '../../testbed/functions/function-process.ts';
import { isRunning, portIsClosed } from '../../testbed/process/leftovers.ts';

const DEMO_TIMEOUT_MS = 150_000;

/** Listening TCP sockets on this machine (IPv4 and IPv6), port → socket inode, from /proc. */
function listeningSockets(): Map<number, string> {
  const sockets = new Map<number, string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[3] === '0A') sockets.set(parseInt(fields[1]!.split(':').at(-1)!, 16), fields[9]!);
    }
  }
  return sockets;
}

/** The processes holding each socket inode (other sessions may run servers on this machine too). */
function socketOwners(): Map<string, number[]> {
  const owners = new Map<string, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${entry}/fd/${fd}`))?.[1];
        if (inode) owners.set(inode, [...(owners.get(inode) ?? []), Number(entry)]);
      } catch {
        // the fd closed meanwhile
      }
    }
  }
  return owners;
}

function processGroupOf(pid: number): number | undefined {
  try {
    // /proc/<pid>/stat: "pid (comm) state ppid pgrp ..."; comm may contain spaces, so split after ")".
    return Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[2]);
  } catch {
    return undefined;
  }
}

function commandLineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/** Runs the demo in a process group of its own, so whatever it starts can be found afterwards. */
function runDemo(): Promise<{ code: number | null; output: string; group: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'scripts', 'demo.ts')], {
      cwd: repoRoot,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGINT'); // lets it clean up
      reject(new Error(`the demo did not finish in ${DEMO_TIMEOUT_MS / 1000} s:\n${output}`));
    }, DEMO_TIMEOUT_MS);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output, group: child.pid! });
    });
  });
}

let output = '';
let code: number | null = null;
let group = 0;
let socketsBefore = new Map<number, string>();
let socketsAfter = new Map<number, string>();

function line(pattern: RegExp): RegExpMatchArray {
  const match = pattern.exec(output);
  if (!match) throw new Error(`no line matching ${pattern} in the demo's output:\n${output}`);
  return match;
}

describe('make demo (node scripts/demo.ts)', () => {
  beforeAll(async () => {
    assertImageNode();
    socketsBefore = listeningSockets();
    ({ code, output, group } = await runDemo());
    socketsAfter = listeningSockets();
  }, DEMO_TIMEOUT_MS + 10_000);

  it('exits 0 with every step marked ✓ and none ✗', () => {
    expect(output).not.toContain('✗');
    expect(code, output).toBe(0);
    for (let step = 1; step <= 8; step++) expect(output).toContain(`[${step}/8] `);
    expect(output).toMatch(/^✓ Demo finished in \d+\.\d s\. Everything it started has stopped\.$/m);
  });

  it('each function answered the alert sent through its Falcosidekick output, and acted', () => {
    const namespace = line(/^ {2}✓ Namespace (demo-[0-9a-f]{8})$/m)[1]!;
    const deleted = line(
      /Deployment storefront \(2 replicas\) → ReplicaSet (storefront-\w+) → Pods (storefront-[\w-]+), storefront-[\w-]+, Running$/m,
    )[2]!;
    const scaled = line(
      /Deployment checkout \(2 replicas\) → ReplicaSet (checkout-\w+) → Pods (checkout-[\w-]+), checkout-[\w-]+, Running$/m,
    )[2]!;
    line(
      new RegExp(
        `→ Knative output \\(CloudEvents binary mode, CloudEvents Go SDK\\) → delete-pod\\n {4}✓ delete-pod answered 200 acted: deleted pod ${namespace}/${deleted}\\n {4}✓ the reply is a CloudEvent the SDK accepts`,
      ),
    );
    line(
      new RegExp(
        `→ Knative output \\(CloudEvents binary mode, CloudEvents Go SDK\\) → scale-to-zero\\n {4}✓ scale-to-zero answered 200 acted: scaled Deployment ${namespace}/checkout from 2 to 0 replicas\\n {4}✓ the reply is a CloudEvent the SDK accepts`,
      ),
    );
    expect(scaled).toMatch(/^checkout-/);
    line(
      new RegExp(
        `→ OpenFaaS output → gateway /function/isolate-pod.openfaas-fn → isolate-pod\\n {4}✓ isolate-pod answered 200 acted: isolated pod ${namespace}/debug-toolbox with NetworkPolicy falco-quarantine-debug-toolbox`,
      ),
    );
  });

  it('shows what the cluster did next: a replacement under a new name, the scaled pods gone for good, the quarantine going with its pod, Events', () => {
    const [, pod, others] = line(/→ Pods (storefront-[\w-]+), (storefront-[\w-]+), Running$/m);
    line(new RegExp(`^ {2}✓ Pod ${pod} is gone \\(delete-pod\\)$`, 'm'));
    const replacement = line(
      /^ {4}✓ its ReplicaSet made Pod (storefront-[\w-]+) in its place: Running on kwok-node-\d, container [0-9a-f]{12} \(not the one Falco saw\)$/m,
    )[1]!;
    expect([pod, others]).not.toContain(replacement);
    line(
      /^ {2}✓ Deployment checkout is at 0 replicas \(scale-to-zero\); the previous count is recorded: falco-response\.dev\/previous-replicas=2$/m,
    );
    line(/^ {4}✓ its pods checkout-[\w-]+, checkout-[\w-]+ terminated and none came back$/m);
    line(/^ {2}✓ NetworkPolicy falco-quarantine-debug-toolbox \(isolate-pod\) denies all ingress and egress$/m);
    line(/^ {4}✓ it selects falco-response\.dev\/quarantine=[0-9a-f-]{36} → pods: debug-toolbox$/m);
    line(/^ {2}✓ Pod debug-toolbox is still Running, to be examined/m);
    line(/^ {2}✓ 3 Events written by the functions/m);
    line(/^ {4}Normal {2}ScaledToZero {2}Deployment\/checkout /m);
    line(new RegExp(`^ {4}Normal {2}Deleted {7}Pod/${pod} `, 'm'));
    line(/^ {4}Normal {2}Isolated {6}Pod\/debug-toolbox /m);
  });

  it("counts each function's writes from the audit log, by its ServiceAccount identity, and the controllers' beside them", () => {
    // On a live cluster a resourceVersion precondition can fail because a controller (or kwok)
    // wrote the object meanwhile: the refused try shows as "(refused 409)" before the one that
    // succeeded. Exactly one successful write of each kind either way.
    const writes = (fn: string, pad: number, kinds: string[]) =>
      new RegExp(`^ {2}✓ ${fn}${' '.repeat(pad)}${kinds.map((k) => `(?:\\d× ${k} \\(refused 409\\), )?1× ${k}`).join(', ')}$`, 'm');
    // First the slot of the cluster-wide action budget (an update of its Lease), then the action.
    // Then the evidence (a Secret in falco-response-evidence), right before the action.
    line(writes('delete-pod', 4, ['patch leases', 'create secrets', 'delete pods', 'create events']));
    line(writes('isolate-pod', 3, ['patch leases', 'create secrets', 'create networkpolicies', 'patch pods', 'create events']));
    line(writes('scale-to-zero', 1, ['patch leases', 'create secrets', 'patch deployments', 'update deployments/scale', 'create events']));
    line(
      /^ {2}✓ beside them, in demo-[0-9a-f]{8}: (?=.*replicaset-controller \d+)(?=.*deployment-controller \d+)(?=.*system:kube-scheduler \d+)(?=.*testbed:kwok \d+)/m,
    );
  });

  it('ends with the person on call: falco-response status lists the three actions, release and restore undo them, status then shows nothing in effect', () => {
    const namespace = line(/^ {2}✓ Namespace (demo-[0-9a-f]{8})$/m)[1]!;
    const deleted = line(/→ Pods (storefront-[\w-]+), storefront-[\w-]+, Running$/m)[1]!;
    line(/^\[8\/8\] The person on call: falco-response status, release, restore/m);
    line(new RegExp(`^ {2}\\$ falco-response status -n ${namespace}\\n {4}ACTION +NAMESPACE +OBJECT +RULE +AGE +IN EFFECT +STATE\\n`, 'm'));
    // The three rows, in the table the command printed.
    line(new RegExp(`^ {4}isolated +${namespace} +pod/debug-toolbox +Terminal shell in container +\\d+s +yes +intact$`, 'm'));
    line(
      new RegExp(`^ {4}scaled-to-zero +${namespace} +deployment/checkout +Terminal shell in container +\\d+s +yes +at 0 \\(was 2\\)`, 'm'),
    );
    line(
      new RegExp(
        `^ {4}deleted +${namespace} +pod/${deleted} +Terminal shell in container +\\d+s +no +evidence falco-response-evidence/delete-pod-[0-9a-f-]{36}$`,
        'm',
      ),
    );
    line(/^ {2}✓ status lists the three actions: the quarantine and the scale to 0 in effect, the deletion from its evidence Secret$/m);
    line(
      new RegExp(
        `^ {2}\\$ falco-response release pod/debug-toolbox -n ${namespace}\\n {4}delete NetworkPolicy falco-quarantine-debug-toolbox; remove the quarantine label and annotations from the pod\\n {4}✓ Pod debug-toolbox is Running and no NetworkPolicy selects it any more`,
        'm',
      ),
    );
    line(
      new RegExp(
        `^ {2}\\$ falco-response restore deployment/checkout -n ${namespace}\\n {4}.*\\b2 replicas\\b.*\\n {4}✓ Deployment checkout is back at 2 replicas: checkout-[\\w-]+, checkout-[\\w-]+ Running \\(new pods\\)$`,
        'm',
      ),
    );
    line(
      new RegExp(`^ {2}✓ nothing done by falco-response is in effect any more \\(deleted pod/${deleted} listed, none in effect\\)$`, 'm'),
    );
  });

  it('leaves no process, listening port or temp dir behind', async () => {
    const pids = [...output.matchAll(/^ {2}✓ (?:delete-pod|isolate-pod|scale-to-zero) +pid (\d+) +http:\/\/127\.0\.0\.1:(\d+)$/gm)];
    expect(pids).toHaveLength(3);
    for (const [, pid] of pids) expect(isRunning(Number(pid)), `function pid ${pid}`).toBe(false);

    const dataDir = line(/✓ stopped kwok, the scheduler, the controller-manager, kube-apiserver and etcd, removed (\/\S+)$/m)[1]!;
    expect(existsSync(dataDir)).toBe(false);
    // Every cluster process (etcd, kube-apiserver, controller-manager, scheduler, kwok) carries the data dir in its arguments.
    const leftover = spawnSync('pgrep', ['-f', '-a', dataDir], { encoding: 'utf8' });
    expect(leftover.stdout, 'processes still running with the demo cluster data dir').toBe('');

    const ports = [
      Number(line(/API server ready at https:\/\/127\.0\.0\.1:(\d+)/)[1]),
      ...pids.map((match) => Number(match[2])),
      Number(line(/OpenFaaS gateway stand-in at http:\/\/127\.0\.0\.1:(\d+)/)[1]),
    ];
    for (const port of ports) expect(await portIsClosed(port), `port ${port}`).toBe(true);

    // Nothing of its process group (the functions, senders, build scripts) is still running.
    const inGroup = spawnSync('pgrep', ['-g', String(group), '-a'], { encoding: 'utf8' });
    expect(inGroup.stdout, `processes left in the demo's process group ${group}`).toBe('');
    // No socket that appeared during the demo is still held by anything the demo started.
    const owners = socketOwners();
    const leftBehind = [...socketsAfter]
      .filter(([port, inode]) => socketsBefore.get(port) !== inode)
      .flatMap(([port, inode]) => (owners.get(inode) ?? []).map((pid) => ({ port, pid, command: commandLineOf(pid) })))
      .filter(({ pid, command }) => processGroupOf(pid) === group || command.includes(dataDir));
    expect(leftBehind, 'listening sockets held by processes the demo started').toEqual([]);
  });
});
