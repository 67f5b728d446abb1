#!/usr/bin/env node
// Builds one self-contained, minified ESM bundle per function: functions/<name>/index.ts →
// <outdir>/<name>/index.mjs plus the chunk-*.mjs files it imports. The image's Dockerfile is
// copied next to them, so <outdir>/<name>/ is a complete Docker build context (and the
// OpenFaaS handler folder for `lang: dockerfile`). No node_modules are needed at run time.
//
//   node scripts/bundle.mjs [--outdir dist]
//
// Prints each bundle's size and writes <outdir>/bundle-sizes.json.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const repoRoot = resolve(import.meta.dirname, '..');
const { values: options } = parseArgs({ options: { outdir: { type: 'string', default: 'dist' } } });
const outDir = resolve(repoRoot, options.outdir);
const dockerfile = join(repoRoot, 'packaging', 'Dockerfile');

// ESM output still contains CommonJS dependencies (fastify's, pino's) that call require():
// give them one. Aliased import so it cannot clash with a bundled top-level name.
const banner = "import { createRequire as __bundleCreateRequire } from 'node:module'; const require = __bundleCreateRequire(import.meta.url);";

function functionNames() {
  const dir = join(repoRoot, 'functions');
  return readdirSync(dir)
    .filter((name) => existsSync(join(dir, name, 'index.ts')))
    .sort();
}

async function bundleFunction(name) {
  // One build per function, so nothing is shared between functions: each folder holds its
  // own handler plus shared/ and nothing of the other functions. Code splitting moves what
  // only a dynamic import() reaches (the Kubernetes client, loaded on the first alert that
  // needs the cluster) into a chunk that start-up never reads: ready in about half the time.
  const result = await build({
    absWorkingDir: repoRoot,
    entryPoints: { index: join(repoRoot, 'functions', name, 'index.ts') },
    outdir: join(outDir, name),
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunk-[hash]',
    bundle: true,
    splitting: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    minify: true,
    // Error and class names stay readable in logs (pino prints err.type from the constructor).
    keepNames: true,
    legalComments: 'none',
    banner: { js: banner },
    metafile: true,
    logLevel: 'warning',
  });
  // A warning here is a module esbuild could not resolve, left to be required at run time
  // from a node_modules the image does not have: refuse it rather than ship it.
  if (result.warnings.length > 0) throw new Error(`${name}: ${result.warnings.length} esbuild warning(s), see above`);
  return result.metafile;
}

/** Output files (absolute) and the ones Node reads before serving: index.mjs and its static imports. */
function outputsOf(metafile) {
  const files = Object.keys(metafile.outputs);
  const entry = files.find((file) => metafile.outputs[file].entryPoint);
  const startup = new Set();
  const visit = (file) => {
    if (startup.has(file)) return;
    startup.add(file);
    for (const edge of metafile.outputs[file].imports) if (edge.kind === 'import-statement' && !edge.external) visit(edge.path);
  };
  visit(entry);
  return { files: files.map((file) => resolve(repoRoot, file)), startup: [...startup].map((file) => resolve(repoRoot, file)) };
}

function gzipSize(path) {
  return gzipSync(readFileSync(path), { level: 9 }).length;
}

const kib = (bytes) => Math.round((bytes / 1024) * 10) / 10;

function sizesOf(name, { files, startup }) {
  const entry = join(outDir, name, 'index.mjs');
  if (!files.includes(entry)) throw new Error(`esbuild wrote no ${entry}`);
  const sizes = files.map((file) => ({ file: relative(outDir, file), bytes: statSync(file).size, gzipBytes: gzipSize(file), loaded: startup.includes(file) ? 'at start-up' : 'on first use' }));
  const bytes = sizes.reduce((sum, f) => sum + f.bytes, 0);
  const startupBytes = sizes.filter((f) => f.loaded === 'at start-up').reduce((sum, f) => sum + f.bytes, 0);
  return {
    function: name,
    bytes,
    kib: kib(bytes),
    gzipBytes: sizes.reduce((sum, f) => sum + f.gzipBytes, 0),
    startupBytes,
    lazyBytes: bytes - startupBytes,
    files: sizes,
  };
}

function printTable(rows) {
  const header = ['function', 'files', 'bytes', 'KiB', 'start-up KiB', 'lazy KiB', 'gzip KiB'];
  const lines = rows.map((r) => [r.function, String(r.files.length), String(r.bytes), r.kib.toFixed(1), kib(r.startupBytes).toFixed(1), kib(r.lazyBytes).toFixed(1), kib(r.gzipBytes).toFixed(1)]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const format = (cells) => cells.map((c, i) => (i >= 1 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  console.log(format(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const line of lines) console.log(format(line));
}

const names = functionNames();
for (const name of names) rmSync(join(outDir, name), { recursive: true, force: true });
const outputs = (await Promise.all(names.map(bundleFunction))).map(outputsOf);
const rows = names.map((name, index) => {
  copyFileSync(dockerfile, join(outDir, name, 'Dockerfile'));
  return sizesOf(name, outputs[index]);
});

mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'bundle-sizes.json'), `${JSON.stringify({ generatedAt: new Date().toISOString(), bundles: rows }, null, 2)}\n`);
printTable(rows);
console.log(`\nwrote ${relative(repoRoot, join(outDir, 'bundle-sizes.json'))}; each ${relative(repoRoot, outDir) || '.'}/<function>/ is a Docker build context`);
