// Everything the demo runs is built from this repository on first use: kube-apiserver, etcd,
// the controller-manager, the scheduler, kubectl and kwok from the Go module proxy (minutes
// the first time; their build prints a heartbeat that is shown here), the Go CloudEvents sender (seconds), the function bundles (a second)
// and the falco-response command line (a second).
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { k8sBinaryPaths, k8sCacheDir, k8sVersions } from '../../testbed/cluster/binaries.ts';
import { ensureBundles, FUNCTION_NAMES, repoRoot } from '../../testbed/functions/bundles.ts';
import { cloudEventsSenderPath } from '../../testbed/senders/cloudevents-sender.ts';
import { baseEnv, runToExit, spawnProcess } from '../../testbed/process/spawn.ts';
import type { DemoConsole } from './console.ts';

function k8sBinariesBuilt(): boolean {
  try {
    k8sBinaryPaths();
    return true;
  } catch {
    return false;
  }
}

/** Runs a build script, showing each line it prints (its progress) indented under the step. */
function runShowingProgress(out: DemoConsole, script: string, streams: Array<'stdout' | 'stderr'> = ['stdout', 'stderr']): Promise<void> {
  const proc = spawnProcess('bash', [join(repoRoot, 'scripts', script)], {
    cwd: repoRoot,
    env: { ...process.env } as Record<string, string>,
  });
  for (const stream of streams.map((name) => proc.child[name]!)) {
    createInterface({ input: stream }).on('line', (line) => out.detail(`│ ${line}`));
  }
  return proc.exited.then((code) => {
    if (code !== 0) throw new Error(`scripts/${script} exited with ${code}`);
  });
}

export async function prepareParts(out: DemoConsole): Promise<{ sender: string }> {
  const versions = k8sVersions();
  if (!k8sBinariesBuilt()) {
    out.info(
      `Building Kubernetes ${versions.kubernetes} (kube-apiserver, controller-manager, scheduler, kubectl), etcd ${versions.etcd} and kwok ${versions.kwok} from source (first time only, about 10 minutes on 2 cores) ...`,
      2,
    );
    await runShowingProgress(out, 'build-k8s.sh');
  }
  k8sBinaryPaths(); // throws with the build command if the build did not produce them
  out.ok(`Kubernetes ${versions.kubernetes}, etcd ${versions.etcd}, kwok ${versions.kwok} ${dimPath(k8sCacheDir())}`);

  // build-senders.sh prints its progress on stderr and the binary's path on stdout.
  await runShowingProgress(out, 'build-senders.sh', ['stderr']);
  const sender = cloudEventsSenderPath();
  out.ok(`CloudEvents sender, on the CloudEvents Go SDK that Falcosidekick's Knative output uses ${dimPath(sender)}`);

  const built = ensureBundles((line) => out.info(line, 2));
  out.ok(
    `functions bundled as their images run them, code caches trained: ${FUNCTION_NAMES.map((name) => `dist/${name}/start.cjs`).join(', ')}${built ? '' : ' (up to date)'}`,
  );
  // The command line, bundled as `make cli` bundles it.
  const cli = await runToExit(process.execPath, [join(repoRoot, 'cli', 'bundle.mjs')], { cwd: repoRoot, env: baseEnv() });
  if (cli.code !== 0) throw new Error(`cli/bundle.mjs exited with ${cli.code}: ${cli.stderr}`);
  out.ok(
    `the falco-response command line, as \`make install-cli\` installs it ${dimPath(join(repoRoot, 'dist', 'cli', 'falco-response.cjs'))}`,
  );
  return { sender };
}

function dimPath(path: string): string {
  return `(${path.replace(process.env.HOME ?? '\u0000', '~')})`;
}
