// The image of each function, read with a real Dockerfile parser (no Docker engine here):
// pinned base with the Node release the tests run, non-root numeric user, port 8080, a
// health check on a path the runtime serves, COPY sources that exist in the build context
// `make bundle` produces, code caches trained by the image's own node at build time, and the
// ENTRYPOINT the bundle test starts.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DockerfileParser, type Dockerfile } from 'dockerfile-ast';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFunction } from '../../../shared/function-main.ts';
import { readFunctionConfig } from '../../../shared/function-config.ts';
import { FUNCTION_SPECS } from '../../../packaging/rbac.ts';
import { IMAGE_APP_DIR, IMAGE_ENTRYPOINT, IMAGE_NODE_FLAGS } from '../../../packaging/start-command.ts';
import { buildBundles, type BuiltBundles } from '../../../testbed/packaging/bundles.ts';
import { repoRoot } from '../../../testbed/packaging/manifests.ts';

const SOURCE = readFileSync(join(repoRoot, 'packaging/Dockerfile'), 'utf8');
const packageJson = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));

let bundles: BuiltBundles;
beforeAll(() => {
  bundles = buildBundles('frf-dockerfile-');
}, 60_000);
afterAll(() => bundles?.remove());

const parse = (text: string) => DockerfileParser.parse(text);
const keywords = (dockerfile: Dockerfile) => dockerfile.getInstructions().map((instruction) => instruction.getKeyword());
const argsOf = (dockerfile: Dockerfile, keyword: string) =>
  dockerfile
    .getInstructions()
    .filter((instruction) => instruction.getKeyword() === keyword)
    .map((instruction) => instruction.getArguments().map((arg) => arg.getValue()));

/** Files of `dir` matched by a COPY source (`*` and `?` within one name, as Docker's globs). */
function matchingFiles(dir: string, source: string): string[] {
  if (source.includes('/') || source.includes('..')) throw new Error(`COPY source ${source} leaves the context's top level`);
  const pattern = new RegExp(
    `^${source
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '[^/]*')
      .replace(/\?/g, '[^/]')}$`,
  );
  return readdirSync(dir).filter((name) => pattern.test(name));
}

/** GET paths the function's HTTP runtime answers with 200 (the real server, built offline). */
async function servedHealthPaths(paths: string[]): Promise<string[]> {
  const { app } = buildFunction(FUNCTION_SPECS[0]!, readFunctionConfig({ KUBECONFIG: '/nonexistent', LOCK_FILE: '', LOG_LEVEL: 'silent' }));
  try {
    const served: string[] = [];
    for (const path of paths) if ((await app.inject({ method: 'GET', url: path })).statusCode === 200) served.push(path);
    return served;
  } finally {
    await app.close();
  }
}

describe('packaging/Dockerfile', () => {
  const dockerfile = parse(SOURCE);

  it('parses without problems, single stage', () => {
    expect(dockerfile.getFROMs()).toHaveLength(1);
    expect(keywords(dockerfile)[0]).toBe('FROM');
    expect(keywords(dockerfile)).not.toContain('ADD');
  });

  it('starts from node:<exact version>-alpine<exact release>, the Node release the tests run the bundles with', () => {
    const from = dockerfile.getFROMs()[0]!;
    expect(from.getImageName()).toBe('node');
    const tag = from.getImageTag() ?? '';
    const pinned = /^(\d+)\.(\d+)\.(\d+)-alpine(\d+)\.(\d+)$/.exec(tag);
    expect(pinned, `tag ${tag} is not node:X.Y.Z-alpineA.B`).not.toBeNull();
    const nodeVersion = tag.split('-')[0];
    expect(nodeVersion?.split('.')[0]).toBe('24');
    expect(nodeVersion).toBe(packageJson.devDependencies.node);
    expect(`v${nodeVersion}`).toBe(process.version);
  });

  it('documents how to pin the base image digest', () => {
    const comments = dockerfile
      .getComments()
      .map((comment) => comment.getContent())
      .join('\n');
    expect(comments).toContain(
      `docker buildx imagetools inspect ${dockerfile.getFROMs()[0]!.getImageName()}:${dockerfile.getFROMs()[0]!.getImageTag()}`,
    );
    expect(comments).toContain('crane digest');
    expect(comments).toMatch(/FROM node:\S+@sha256:<digest>/);
  });

  it('runs as a non-root numeric user, after everything that needs root', () => {
    const users = argsOf(dockerfile, 'USER');
    expect(users).toHaveLength(1);
    const [uid, gid] = users[0]![0]!.split(':');
    expect(uid).toMatch(/^\d+$/);
    expect(Number(uid)).toBeGreaterThan(0);
    expect(gid).toMatch(/^\d+$/);
    const order = keywords(dockerfile);
    expect(order.lastIndexOf('RUN')).toBeLessThan(order.indexOf('USER'));
    expect(order.lastIndexOf('COPY')).toBeLessThan(order.indexOf('USER'));
  });

  it('installs and downloads nothing: its RUNs remove files and train the code caches', () => {
    const runs = argsOf(dockerfile, 'RUN');
    expect(runs).toHaveLength(2);
    expect(runs[0]!.slice(0, 2)).toEqual(['rm', '-rf']);
    // The image's own node writes app.cjs.v8cache and kube.cjs.v8cache (a cache only fits the
    // V8 that wrote it), then nothing in /app stays writable.
    expect(runs[1]).toEqual(['node', ...IMAGE_NODE_FLAGS, `${IMAGE_APP_DIR}/train.cjs`, '&&', 'chmod', '-R', 'a-w', IMAGE_APP_DIR]);
  });

  it('trains after copying the bundle, as root, before switching to the function user', () => {
    const instructions = dockerfile.getInstructions();
    const training = instructions.findIndex(
      (instruction) =>
        instruction.getKeyword() === 'RUN' && instruction.getArguments().some((arg) => arg.getValue().endsWith('/train.cjs')),
    );
    const lastCopy = instructions.map((instruction) => instruction.getKeyword()).lastIndexOf('COPY');
    const user = instructions.findIndex((instruction) => instruction.getKeyword() === 'USER');
    expect(training).toBeGreaterThan(lastCopy);
    expect(training).toBeLessThan(user);
  });

  it('trains with nothing but loopback: train.cjs talks to 127.0.0.1 only', () => {
    const train = readFileSync(join(repoRoot, 'scripts/fast-start/train.cjs'), 'utf8');
    const hosts = [...train.matchAll(/(?:host:\s*|listen\(0,\s*|\/\/)'?([0-9a-z.-]+)'?/gi)].map((match) => match[1]);
    expect(hosts.length).toBeGreaterThan(0);
    expect(new Set(hosts.filter((host) => host !== 'x'))).toEqual(new Set(['127.0.0.1']));
    expect(train).not.toMatch(/require\('node:(https|dns|net|tls)'\)/);
  });

  it('listens on 8080', () => {
    expect(argsOf(dockerfile, 'EXPOSE')).toEqual([['8080']]);
  });

  it('starts with exactly the command the bundle test runs (exec form, no CMD to append)', () => {
    const entrypoints = dockerfile.getENTRYPOINTs();
    expect(entrypoints).toHaveLength(1);
    expect(entrypoints[0]!.getJSONStrings().map((arg) => arg.getJSONValue())).toEqual([...IMAGE_ENTRYPOINT]);
    expect(dockerfile.getCMDs()).toHaveLength(0);
    expect(argsOf(dockerfile, 'WORKDIR')).toEqual([[IMAGE_APP_DIR]]);
  });

  it('has a HEALTHCHECK on a path the runtime serves', async () => {
    const checks = dockerfile.getHEALTHCHECKs();
    expect(checks).toHaveLength(1);
    expect(checks[0]!.getSubcommand()?.getValue()).toBe('CMD');
    const paths = [...checks[0]!.getArgumentsContent()!.matchAll(/'\/([a-z_/]+)'/g)].map((match) => `/${match[1]}`);
    expect(paths).toEqual(['/healthz']);
    expect(await servedHealthPaths(paths)).toEqual(paths);
  });
});

describe.each(FUNCTION_SPECS.map((spec) => spec.name))('%s image build context (dist/%s after make bundle)', (fn) => {
  const context = () => join(bundles.outDir, fn);

  it('holds the Dockerfile, identical to packaging/Dockerfile', () => {
    expect(readFileSync(join(context(), 'Dockerfile'), 'utf8')).toBe(SOURCE);
  });

  it('has every COPY source, and the COPYs take the whole bundle into /app', () => {
    const dockerfile = parse(readFileSync(join(context(), 'Dockerfile'), 'utf8'));
    const copied = new Set<string>();
    for (const copy of dockerfile.getCOPYs()) {
      const args = copy.getArguments().map((arg) => arg.getValue());
      const destination = args.at(-1)!;
      expect(destination.startsWith(`${IMAGE_APP_DIR}/`)).toBe(true);
      for (const source of args.slice(0, -1)) {
        const matched = matchingFiles(context(), source);
        expect(matched, `COPY ${source} matches nothing in dist/${fn}`).not.toEqual([]);
        for (const file of matched) copied.add(file);
      }
    }
    // The .cjs files, not the caches trained by the machine that bundled: the image trains its own.
    const bundleFiles = bundles.filesOf(fn).filter((file) => file.endsWith('.cjs'));
    expect([...copied].sort()).toEqual(bundleFiles);
    expect(bundleFiles).toEqual(['app.cjs', 'kube.cjs', 'start.cjs', 'train.cjs']);
    expect(bundles.filesOf(fn)).toContain('app.cjs.v8cache');
    expect([...copied].some((file) => file.endsWith('.v8cache'))).toBe(false);
    // What the ENTRYPOINT starts is among them.
    expect(copied.has(IMAGE_ENTRYPOINT.at(-1)!.slice(IMAGE_APP_DIR.length + 1))).toBe(true);
  });
});
