// V8 startup snapshot (`node --build-snapshot`): can this Node snapshot a function at all?
// The function is bundled into one CommonJS file (all a snapshot can take) whose main is
// runFunction, with client-node loaded before the snapshot is taken. Node 24 aborts while
// writing it: modules loaded at start-up hold native handles (node:http's parser binding,
// http2 in undici) that user-land snapshots cannot serialise yet (nodejs/node#44014, #48672).
// The probe says what this Node does, so a later Node that can is noticed.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { repoRoot } from '../lib/bundle-like-functions.ts';

export interface SnapshotProbe {
  built: boolean;
  detail: string;
}

export async function probeSnapshot(workDir: string): Promise<SnapshotProbe> {
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  const entry = [
    "import { startupSnapshot } from 'node:v8';",
    "import { deletePodSpec } from './functions/delete-pod/spec.ts';",
    "import { runFunction } from './shared/function-main.ts';",
    "import { loadClient } from './shared/k8s/load-client.ts';",
    'void loadClient();',
    'startupSnapshot.setDeserializeMainFunction(() => void runFunction(deletePodSpec));',
  ].join('\n');
  const bundle = join(workDir, 'snapshot-entry.cjs');
  await build({
    absWorkingDir: repoRoot,
    stdin: { contents: entry, resolveDir: repoRoot, loader: 'ts' },
    outfile: bundle,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    minify: true,
    keepNames: true,
    logLevel: 'error',
  });
  const blob = join(workDir, 'snapshot.blob');
  const result = spawnSync(process.execPath, ['--snapshot-blob', blob, '--build-snapshot', bundle], {
    cwd: workDir,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (result.status === 0) return { built: true, detail: `built ${blob}` };
  const output = `${result.stderr}\n${result.stdout}`;
  const firstHandle = /global handle not serialized: [^\n]*/.exec(output)?.[0];
  const fatal = /# (Fatal error[^\n]*|Check failed[^\n]*)\n#\s*([^\n]*)/.exec(output);
  const reason = [fatal ? `${fatal[1]} ${fatal[2]}`.trim() : `exit ${result.status ?? result.signal}`, firstHandle]
    .filter(Boolean)
    .join('; ');
  const handles = [...output.matchAll(/#(HTTPParser|ConnectionsList)|(Http2Session)/g)].map((m) => m[1] ?? m[2]);
  return { built: false, detail: `${reason}${handles.length ? ` (handles of: ${[...new Set(handles)].join(', ')})` : ''}` };
}
