#!/usr/bin/env node
// Builds what each function's image runs, one folder per function, <outdir>/<name>/:
//   app.cjs    the function as one minified CommonJS bundle (no client-node in it)
//   kube.cjs   the client-node APIs it uses (shared/k8s/client-node-apis.ts), loaded on the
//              first alert that needs the cluster
//   start.cjs  the entry point (the image's ENTRYPOINT): loads both through V8 code caches
//   train.cjs  the training run that writes app.cjs.v8cache and kube.cjs.v8cache
//              (start.cjs and train.cjs are copied from scripts/fast-start/)
//   Dockerfile a copy of packaging/Dockerfile
// so <outdir>/<name>/ is a complete Docker build context (and the OpenFaaS handler folder for
// `lang: dockerfile`). No node_modules are needed at run time.
//
// CommonJS because only vm.Script takes a code cache made after start-up (Node's own compile
// cache is made before a module runs, so it misses every function start-up calls).
//
// Each folder is trained here, with this machine's node, so local runs (tests, the demo) start
// with caches; the image trains again with its own node (`RUN node /app/train.cjs` in the
// Dockerfile): a cache only fits the V8 that wrote it, and a cache that does not fit is
// rejected and costs nothing but a normal compile.
//
//   node scripts/bundle.mjs [--outdir dist] [--no-train]
//
// Prints each bundle's size and writes <outdir>/bundle-sizes.json.
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { IMAGE_NODE_FLAGS } from '../packaging/start-command.ts';

const repoRoot = resolve(import.meta.dirname, '..');
const { values: options } = parseArgs({
  options: { outdir: { type: 'string', default: 'dist' }, 'no-train': { type: 'boolean', default: false } },
});
const outDir = resolve(repoRoot, options.outdir);
const dockerfile = join(repoRoot, 'packaging', 'Dockerfile');
const fastStartDir = join(repoRoot, 'scripts', 'fast-start');
const clientNodeApis = join(repoRoot, 'shared', 'k8s', 'client-node-apis.ts');

/** The files of a folder, what each is for and when the running function reads it. */
const FILES = [
  { file: 'app.cjs', kind: 'code', loaded: 'at start-up' },
  { file: 'start.cjs', kind: 'code', loaded: 'at start-up' },
  { file: 'kube.cjs', kind: 'code', loaded: 'on first use' },
  { file: 'app.cjs.v8cache', kind: 'cache', loaded: 'at start-up' },
  { file: 'kube.cjs.v8cache', kind: 'cache', loaded: 'on first use' },
  { file: 'train.cjs', kind: 'build', loaded: 'at image build' },
];

const common = {
  absWorkingDir: repoRoot,
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'cjs',
  minify: true,
  keepNames: true,
  legalComments: 'none',
  logLevel: 'warning',
};

/** The registered functions (functions/index.ts), each bundled from its folder functions/<name>/. */
async function functionNames() {
  const { FUNCTION_NAMES } = await import(join(repoRoot, 'functions', 'index.ts'));
  return [...FUNCTION_NAMES];
}

/** The spec's export name, found by what it is rather than by a naming convention. */
async function specExportOf(name) {
  const module = await import(join(repoRoot, 'functions', name, 'spec.ts'));
  const found = Object.entries(module).find(([, value]) => value?.name === name && typeof value?.plan === 'function');
  if (!found) throw new Error(`functions/${name}/spec.ts exports no spec named ${name}`);
  return found[0];
}

/** The lazy import of client-node-apis.ts becomes require('./kube.cjs') (a separate file). */
const kubeAsSeparateFile = {
  name: 'kube-as-separate-file',
  setup(pluginBuild) {
    pluginBuild.onResolve({ filter: /client-node-apis\.ts$/ }, () => ({ path: './kube.cjs', external: true }));
  },
};

// Node modules some dependencies require at load but use only on paths start-up never takes
// (fastify's https and http2 servers, its dns lookup for "localhost", cloudevents' and
// prom-client's HTTP clients): ~1 MiB of resident memory. Each becomes an object that loads
// the real module on first use; the Kubernetes client loads https and tls itself, on the
// first alert that needs the cluster.
const LAZY_BUILTINS = ['https', 'http2', 'tls', 'dns'];
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(pluginBuild) {
    const filter = new RegExp(`^(node:)?(${LAZY_BUILTINS.join('|')})$`);
    // The stand-in's own require() is the real module.
    pluginBuild.onResolve({ filter }, (args) =>
      args.namespace === 'lazy-builtin'
        ? { path: args.path, external: true }
        : { path: args.path.replace(/^node:/, ''), namespace: 'lazy-builtin' },
    );
    pluginBuild.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => ({
      contents: [
        `let real;`,
        `const load = () => (real ??= require('node:${args.path}'));`,
        // __esModule is asked by interop helpers at load: answering it must not load the module.
        `module.exports = new Proxy({}, {`,
        `  get: (_, key) => (key === '__esModule' ? undefined : load()[key]),`,
        `  has: (_, key) => key in load(),`,
        `  ownKeys: () => Reflect.ownKeys(load()),`,
        `  getOwnPropertyDescriptor: (_, key) => { const d = Object.getOwnPropertyDescriptor(load(), key); if (d) d.configurable = true; return d; },`,
        `});`,
      ].join('\n'),
      loader: 'js',
      resolveDir: repoRoot,
    }));
  },
};

// Packages left out of a bundle: each becomes a module that throws when required, as a
// missing package would, so the bundle still requires nothing but Node's built-ins and its
// own files (test/unit/packaging/bundle.test.ts checks).
function leftOut(names, listName) {
  return {
    name: `left-out-${listName}`,
    setup(pluginBuild) {
      const filter = new RegExp(`^(${names.map((name) => name.replace(/[/.-]/g, '\\$&')).join('|')})$`);
      pluginBuild.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'left-out' }));
      pluginBuild.onLoad({ filter: /.*/, namespace: 'left-out' }, (args) => ({
        contents: `throw new Error(${JSON.stringify(`${args.path} is not in the bundle (scripts/bundle.mjs ${listName})`)});`,
        loader: 'js',
      }));
    },
  };
}

// What fastify would load only for route schemas (server.ts sets compilers that refuse them)
// and for app.inject() (tests, on the sources): ~300 KB of ajv and fast-json-stringify.
const NEVER_LOADED = ['@fastify/ajv-compiler', '@fastify/fast-json-stringify-compiler', 'light-my-request'];
// Native speed-ups the websocket library (ws, in client-node) tries in a try/catch and does
// without: not installed here, and the functions open no websocket.
const OPTIONAL_NATIVE = ['bufferutil', 'utf-8-validate'];

/** A warning is a module esbuild could not resolve, left to be required at run time from a node_modules the image does not have: refuse it rather than ship it. */
function refuseWarnings(name, file, result) {
  if (result.warnings.length > 0) throw new Error(`${name}/${file}: ${result.warnings.length} esbuild warning(s), see above`);
}

async function bundleFunction(name) {
  // One build per function, so nothing is shared between functions: each folder holds its
  // own handler plus shared/ and nothing of the other functions.
  const dir = join(outDir, name);
  const specExport = await specExportOf(name);
  // The ESM entry (functions/<name>/index.ts) awaits at top level, which CommonJS cannot; a
  // rejection still ends the process with code 1.
  const entry = [
    `import { ${specExport} as spec } from './functions/${name}/spec.ts';`,
    "import { runFunction } from './shared/function-main.ts';",
    'runFunction(spec).catch((error) => process.nextTick(() => { throw error; }));',
  ].join('\n');
  const app = await build({
    ...common,
    stdin: { contents: entry, resolveDir: repoRoot, sourcefile: `functions/${name}/bundle-entry.ts`, loader: 'ts' },
    outfile: join(dir, 'app.cjs'),
    plugins: [kubeAsSeparateFile, lazyBuiltins, leftOut(NEVER_LOADED, 'NEVER_LOADED')],
    // import() of kube.cjs as a plain require(), so it goes through start.cjs's loader.
    supported: { 'dynamic-import': false },
  });
  refuseWarnings(name, 'app.cjs', app);
  copyFileSync(kubeBundle, join(dir, 'kube.cjs'));
  for (const file of ['start.cjs', 'train.cjs']) copyFileSync(join(fastStartDir, file), join(dir, file));
  copyFileSync(dockerfile, join(dir, 'Dockerfile'));
  return dir;
}

/**
 * Runs the folder's train.cjs with this node and the image's node flags (V8 rejects a cache
 * written under others), as the Dockerfile does; it fails unless app.cjs.v8cache was written.
 */
async function train(dir) {
  try {
    await promisify(execFile)(process.execPath, [...IMAGE_NODE_FLAGS, join(dir, 'train.cjs')], { cwd: dir, timeout: 120_000 });
  } catch (error) {
    throw new Error(`training ${relative(repoRoot, dir)} failed: ${error.message}\n${error.stderr ?? ''}`);
  }
}

function gzipSize(path) {
  return gzipSync(readFileSync(path), { level: 9 }).length;
}

const kib = (bytes) => Math.round((bytes / 1024) * 10) / 10;
const sum = (files) => files.reduce((total, f) => total + f.bytes, 0);

function sizesOf(name) {
  const files = FILES.filter(({ file }) => existsSync(join(outDir, name, file))).map(({ file, kind, loaded }) => {
    const path = join(outDir, name, file);
    return { file: `${name}/${file}`, kind, loaded, bytes: statSync(path).size, gzipBytes: gzipSize(path) };
  });
  const code = files.filter((f) => f.kind === 'code');
  const bytes = sum(code);
  const startupBytes = sum(code.filter((f) => f.loaded === 'at start-up'));
  return {
    function: name,
    // What the running function may read as code: app.cjs, start.cjs and kube.cjs.
    bytes,
    kib: kib(bytes),
    gzipBytes: sum(code.map((f) => ({ bytes: f.gzipBytes }))),
    startupBytes,
    lazyBytes: bytes - startupBytes,
    // The trained V8 code caches (this machine's node; the image writes its own).
    cacheBytes: sum(files.filter((f) => f.kind === 'cache')),
    files,
  };
}

function printTable(rows) {
  const header = ['function', 'files', 'bytes', 'KiB', 'start-up KiB', 'lazy KiB', 'gzip KiB', 'cache KiB'];
  const lines = rows.map((r) => [
    r.function,
    String(r.files.length),
    String(r.bytes),
    r.kib.toFixed(1),
    kib(r.startupBytes).toFixed(1),
    kib(r.lazyBytes).toFixed(1),
    kib(r.gzipBytes).toFixed(1),
    kib(r.cacheBytes).toFixed(1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const format = (cells) => cells.map((c, i) => (i >= 1 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  console.log(format(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const line of lines) console.log(format(line));
}

const names = await functionNames();
for (const name of names) rmSync(join(outDir, name), { recursive: true, force: true });
// kube.cjs is the same for every function (the client-node APIs the shared KubeClient uses):
// built once, copied into each folder.
const kubeBundle = join(outDir, '.kube.cjs');
refuseWarnings(
  '(all)',
  'kube.cjs',
  await build({ ...common, entryPoints: [clientNodeApis], outfile: kubeBundle, plugins: [leftOut(OPTIONAL_NATIVE, 'OPTIONAL_NATIVE')] }),
);
const dirs = [];
for (const name of names) dirs.push(await bundleFunction(name));
rmSync(kubeBundle);
if (!options['no-train']) await Promise.all(dirs.map(train));
const rows = names.map(sizesOf);

mkdirSync(outDir, { recursive: true });
writeFileSync(
  join(outDir, 'bundle-sizes.json'),
  `${JSON.stringify({ generatedAt: new Date().toISOString(), trained: !options['no-train'], bundles: rows }, null, 2)}\n`,
);
printTable(rows);
console.log(
  `\nwrote ${relative(repoRoot, join(outDir, 'bundle-sizes.json'))}; each ${relative(repoRoot, outDir) || '.'}/<function>/ is a Docker build context${options['no-train'] ? ' (not trained: no code caches)' : ', trained with this node'}`,
);
