'use strict';
// Starts the function bundled next to this file (app.cjs) through V8 code caches: with a
// cache, V8 neither parses nor compiles the bundle, not even the functions start-up calls
// (they were compiled during the training run that wrote it: train.cjs). The Kubernetes
// client (kube.cjs) is loaded the same way on the first alert that needs the cluster.
//
//   node start.cjs [--once]          what the image runs (argv and env as for index.mjs)
//
// A cache is only a hint: V8 checks it against the source and its own version and flags,
// and a missing or rejected cache means a normal compile, nothing else.
const { readFileSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const { join } = require('node:path');
const vm = require('node:vm');

// Set by train.cjs only: compile without caches, write them at exit.
const training = process.env.FAST_START_TRAIN === '1';
const loaded = new Map();

function load(name) {
  const cached = loaded.get(name);
  if (cached) return cached.module.exports;
  const filename = join(__dirname, name);
  let cachedData;
  if (!training) {
    try {
      cachedData = readFileSync(`${filename}.v8cache`);
    } catch {
      // No cache: compile as usual.
    }
  }
  const script = new vm.Script(Module.wrap(readFileSync(filename, 'utf8')), {
    filename,
    cachedData,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const module = { exports: {}, filename, id: filename, loaded: false };
  loaded.set(name, { script, module });
  const nodeRequire = Module.createRequire(filename);
  // The bundles require Node's modules and, lazily, ./kube.cjs: nothing else is on disk.
  const localRequire = Object.assign((id) => (id === './kube.cjs' ? load('kube.cjs') : nodeRequire(id)), { resolve: nodeRequire.resolve, cache: nodeRequire.cache, main: require.main });
  script.runInThisContext()(module.exports, localRequire, module, filename, __dirname);
  module.loaded = true;
  return module.exports;
}

if (training) {
  // After start-up and the training alerts: the caches then hold every function they ran.
  process.on('exit', () => {
    for (const [name, { script }] of loaded) writeFileSync(join(__dirname, `${name}.v8cache`), script.createCachedData());
  });
}

load('app.cjs');
