'use strict';
// Starts the function bundled next to this file (app.cjs) through V8 code caches: with a
// cache, V8 neither parses nor compiles the bundle, not even the functions start-up calls
// (they were compiled during the training run that wrote it: train.cjs). The Kubernetes
// client (kube.cjs) is loaded the same way on the first alert that needs the cluster.
//
//   node start.cjs [--once]          what the image runs (ENTRYPOINT ["node", "/app/start.cjs"])
//
// A cache is only a hint: V8 checks it against the source and its own version and flags,
// and a missing or rejected cache means a normal compile, nothing else. V8 (release builds)
// does not checksum what it deserializes, and a cache damaged inside would crash it: each
// cache file starts with a CRC-32 of the rest (under 1 ms; zlib is loaded at start-up anyway),
// and one that does not match is not handed to V8 at all.
// FAST_START_DEBUG=1 prints, on stderr, one line per file loaded: whether its cache was
// accepted, rejected (by V8), corrupt (by the checksum) or missing
// (test/unit/packaging/code-cache.test.ts relies on it).
const { readFileSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const { join } = require('node:path');
const vm = require('node:vm');
const { crc32 } = require('node:zlib');

// Set by train.cjs only: compile without caches, write them at exit.
const training = process.env.FAST_START_TRAIN === '1';
const debug = process.env.FAST_START_DEBUG === '1';
const loaded = new Map();

function load(name) {
  const cached = loaded.get(name);
  if (cached) return cached.module.exports;
  const filename = join(__dirname, name);
  let cachedData;
  let corrupt = false;
  if (!training) {
    let file;
    try {
      file = readFileSync(`${filename}.v8cache`);
    } catch {
      // No cache: compile as usual.
    }
    if (file !== undefined) {
      corrupt = file.length <= 4 || file.readUInt32LE(0) !== crc32(file.subarray(4));
      if (!corrupt) cachedData = file.subarray(4);
    }
  }
  const script = new vm.Script(Module.wrap(readFileSync(filename, 'utf8')), {
    filename,
    cachedData,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  if (debug)
    process.stderr.write(
      `fast-start: ${name} cache ${training ? 'off (training)' : corrupt ? 'corrupt' : cachedData === undefined ? 'missing' : script.cachedDataRejected ? 'rejected' : 'accepted'}\n`,
    );
  const module = { exports: {}, filename, id: filename, loaded: false };
  loaded.set(name, { script, module });
  const nodeRequire = Module.createRequire(filename);
  // The bundles require Node's modules and, lazily, ./kube.cjs: nothing else is on disk.
  const localRequire = Object.assign((id) => (id === './kube.cjs' ? load('kube.cjs') : nodeRequire(id)), {
    resolve: nodeRequire.resolve,
    cache: nodeRequire.cache,
    main: require.main,
  });
  script.runInThisContext()(module.exports, localRequire, module, filename, __dirname);
  module.loaded = true;
  return module.exports;
}

if (training) {
  // After start-up and the training alerts: the caches then hold every function they ran.
  process.on('exit', () => {
    for (const [name, { script }] of loaded) {
      const data = script.createCachedData();
      const header = Buffer.alloc(4);
      header.writeUInt32LE(crc32(data));
      writeFileSync(join(__dirname, `${name}.v8cache`), Buffer.concat([header, data]));
    }
  });
}

load('app.cjs');
