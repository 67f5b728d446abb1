// How an image starts its function. The Dockerfile's ENTRYPOINT, the bundle test and the
// pipeline-engine examples all use these, and tests hold them equal.
import { join } from 'node:path';

/** Where the Dockerfile puts the bundle (app.cjs, kube.cjs, start.cjs and the trained caches). */
export const IMAGE_APP_DIR = '/app';
/**
 * Node's options in the image's ENTRYPOINT, none today. The code caches are trained with the
 * same ones (the Dockerfile's `RUN node … train.cjs`, scripts/bundle.mjs): V8 rejects a cache
 * written under other flags, and Node's own built-in code cache too. `--max-semi-space-size=4`
 * was tried and dropped (bench/RESULTS.md): it cut the storm's RSS on a machine without a
 * memory limit, but cost ~25 ms of every cold start, and under the manifests' 256Mi limit Node
 * already sizes V8's young generation that small by itself.
 */
export const IMAGE_NODE_FLAGS: readonly string[] = [];
/** Exec-form ENTRYPOINT of every function image: start.cjs loads the bundle through its V8 code caches. */
export const IMAGE_ENTRYPOINT: readonly string[] = ['node', ...IMAGE_NODE_FLAGS, `${IMAGE_APP_DIR}/start.cjs`];
/** Container args that switch the same image to one-shot mode (alert from $BODY or stdin). */
export const ONE_SHOT_ARGS: readonly string[] = ['--once'];

/**
 * The image's start command, run against a directory standing in for /app: `node` is the
 * Node running the tests (the same release as the image's, see the Dockerfile test).
 */
export function entrypointIn(appDir: string, nodeBinary: string = process.execPath): { command: string; args: string[] } {
  const [node, ...args] = IMAGE_ENTRYPOINT;
  if (node !== 'node') throw new Error(`unexpected entrypoint ${IMAGE_ENTRYPOINT.join(' ')}`);
  return {
    command: nodeBinary,
    args: args.map((arg) => (arg.startsWith(`${IMAGE_APP_DIR}/`) ? join(appDir, arg.slice(IMAGE_APP_DIR.length + 1)) : arg)),
  };
}
