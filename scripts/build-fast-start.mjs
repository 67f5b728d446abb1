#!/usr/bin/env node
// Builds the fast-start form of each function next to its bundle, in <outdir>/<name>/:
//   app.cjs    the function as one CommonJS bundle (no client-node in it)
//   kube.cjs   the client-node APIs it uses (shared/k8s/client-node-apis.ts), loaded on the
//              first alert that needs the cluster
//   start.cjs  the entry point: loads both through V8 code caches (scripts/fast-start/)
//   train.cjs  the training run that writes app.cjs.v8cache and kube.cjs.v8cache
// CommonJS because only vm.Script takes a code cache made after start-up (Node's own
// compile cache is made before a module runs, so it misses every function start-up calls).
//
//   node scripts/build-fast-start.mjs [--outdir dist] [--no-train]
//
// Training here is for this machine's node (the benchmark); an image trains with its own
// node: `RUN node train.cjs` in the function's folder.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const repoRoot = resolve(import.meta.dirname, '..');
const { values: options } = parseArgs({ options: { outdir: { type: 'string', default: 'dist' }, 'no-train': { type: 'boolean', default: false } } });
const outDir = resolve(repoRoot, options.outdir);
const clientNodeApis = join(repoRoot, 'shared', 'k8s', 'client-node-apis.ts');

const common = { absWorkingDir: repoRoot, bundle: true, platform: 'node', target: 'node24', format: 'cjs', minify: true, keepNames: true, legalComments: 'none', logLevel: 'warning' };

function functionNames() {
  const dir = join(repoRoot, 'functions');
  return readdirSync(dir).filter((name) => existsSync(join(dir, name, 'spec.ts'))).sort();
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
    pluginBuild.onResolve({ filter }, (args) => (args.namespace === 'lazy-builtin' ? { path: args.path, external: true } : { path: args.path.replace(/^node:/, ''), namespace: 'lazy-builtin' }));
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

// What fastify would load only for route schemas (server.ts sets compilers that refuse them)
// and for app.inject() (tests, on the sources): ~300 KB of ajv and fast-json-stringify.
const NEVER_LOADED = ['@fastify/ajv-compiler', '@fastify/fast-json-stringify-compiler', 'light-my-request'];

async function buildFunction(name) {
  const dir = join(outDir, name);
  const specExport = await specExportOf(name);
  // The ESM entry awaits at top level, which CommonJS cannot; a rejection still ends the process with code 1.
  const entry = [
    `import { ${specExport} as spec } from './functions/${name}/spec.ts';`,
    "import { runFunction } from './shared/function-main.ts';",
    'runFunction(spec).catch((error) => process.nextTick(() => { throw error; }));',
  ].join('\n');
  await build({
    ...common,
    stdin: { contents: entry, resolveDir: repoRoot, sourcefile: `functions/${name}/fast-start-entry.ts`, loader: 'ts' },
    outfile: join(dir, 'app.cjs'),
    plugins: [kubeAsSeparateFile, lazyBuiltins],
    external: NEVER_LOADED,
    // import() of kube.cjs as a plain require(), so it goes through start.cjs's loader.
    supported: { 'dynamic-import': false },
  });
  await build({ ...common, entryPoints: [clientNodeApis], outfile: join(dir, 'kube.cjs') });
  for (const file of ['start.cjs', 'train.cjs']) copyFileSync(join(repoRoot, 'scripts', 'fast-start', file), join(dir, file));
  return dir;
}

const dirs = [];
for (const name of functionNames()) dirs.push(await buildFunction(name));
if (!options['no-train']) {
  for (const dir of dirs) execFileSync(process.execPath, [join(dir, 'train.cjs')], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
}
console.log(`fast start: ${dirs.length} functions in ${outDir}${options['no-train'] ? ' (not trained)' : ', trained'}`);
