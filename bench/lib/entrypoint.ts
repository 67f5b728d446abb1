// "As shipped" means the command the image runs: the Dockerfile's exec-form ENTRYPOINT, read
// from the file itself, so a flag added there (a V8 option, a different start script) is what
// the benchmark measures too.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './bundle-like-functions.ts';

export const FUNCTION_DOCKERFILE = join(repoRoot, 'packaging', 'Dockerfile');

/** Where the image copies the bundle (`COPY *.cjs /app/`): its paths are mapped onto a local bundle directory. */
const IMAGE_APP_DIR = '/app/';

/** The exec-form ENTRYPOINT of a Dockerfile (the last one wins, as in Docker), as its argv. */
export function entrypointOf(dockerfile: string): string[] {
  const lines = dockerfile
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .filter((line) => /^\s*ENTRYPOINT\s/i.test(line));
  const last = lines.at(-1);
  if (last === undefined) throw new Error('the Dockerfile has no ENTRYPOINT');
  const form = last.replace(/^\s*ENTRYPOINT\s+/i, '').trim();
  let argv: unknown;
  try {
    argv = JSON.parse(form);
  } catch {
    throw new Error(`ENTRYPOINT is not in exec form (a JSON array): ${form}`);
  }
  if (!Array.isArray(argv) || argv.length === 0 || !argv.every((arg) => typeof arg === 'string'))
    throw new Error(`ENTRYPOINT is not a non-empty JSON array of strings: ${form}`);
  return argv;
}

/**
 * The arguments to give this benchmark's `node` for the image's entry point with the bundle in
 * `bundleDir`: the entry point must start with `node`; its `/app/…` paths point into the bundle.
 */
export function nodeArgsOfEntrypoint(dockerfile: string, bundleDir: string): string[] {
  const [command, ...args] = entrypointOf(dockerfile);
  if (command !== 'node') throw new Error(`ENTRYPOINT runs ${JSON.stringify(command)}, not node: the benchmark cannot start it`);
  return args.map((arg) => (arg.startsWith(IMAGE_APP_DIR) ? join(bundleDir, arg.slice(IMAGE_APP_DIR.length)) : arg));
}

export function shippedNodeArgs(bundleDir: string): string[] {
  return nodeArgsOfEntrypoint(readFileSync(FUNCTION_DOCKERFILE, 'utf8'), bundleDir);
}
