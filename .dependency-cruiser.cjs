// The import structure `make test` checks (docs/architecture.md draws it): no cycles; each
// function imports only shared/ (never another function); shared/ never imports what is built
// on it; and a room of shared/ imports only the rooms below it, type-only imports included.
//   npx depcruise --config .dependency-cruiser.cjs functions shared cli packaging scripts testbed bench test
/** shared/'s rooms, low to high; a room may import its own level and below. */
const ROOMS = [['alert', 'config'], ['k8s'], ['guards'], ['coordination'], ['gitops', 'forensics'], ['respond'], ['runtime']];
const roomPath = (names) => `^shared/(${names.join('|')})/`;
// The top level of shared/ (function-main.ts, function-config.ts) assembles every room.
const TOP = '^shared/[^/]+\\.ts$';

const roomRules = ROOMS.slice(0, -1).map((level, index) => ({
  name: `shared-rooms-${level.join('-')}`,
  comment: `shared/${level.join(', shared/')} may import only lower rooms (${ROOMS.slice(0, index).flat().join(', ') || 'none'}), not ${ROOMS.slice(
    index + 1,
  )
    .flat()
    .join(', ')} or the top level`,
  severity: 'error',
  from: { path: roomPath(level) },
  to: { path: [roomPath(ROOMS.slice(index + 1).flat()), TOP] },
}));

// Rooms on one level stay apart too (gitops and forensics; alert and config may share).
const sameLevelRules = [
  {
    name: 'shared-rooms-gitops-forensics-apart',
    comment: 'gitops/ and forensics/ are independent',
    severity: 'error',
    from: { path: '^shared/gitops/' },
    to: { path: '^shared/forensics/' },
  },
  {
    name: 'shared-rooms-forensics-gitops-apart',
    comment: 'forensics/ and gitops/ are independent',
    severity: 'error',
    from: { path: '^shared/forensics/' },
    to: { path: '^shared/gitops/' },
  },
];

module.exports = {
  forbidden: [
    { name: 'no-circular', comment: 'no import cycles anywhere', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'functions-import-only-shared',
      comment: 'a function folder imports shared/ and its own folder only (besides packages and Node built-ins)',
      severity: 'error',
      from: { path: '^functions/([^/]+)/' },
      to: { path: '^(?!shared/|functions/$1/|node_modules/)', pathNot: '^node:', dependencyTypesNot: ['core'] },
    },
    {
      name: 'function-registry-imports-only-functions',
      comment: 'functions/index.ts and registry.ts list the functions and import nothing but them and shared/',
      severity: 'error',
      from: { path: '^functions/[^/]+\\.ts$' },
      to: { path: '^(?!shared/|functions/|node_modules/)', dependencyTypesNot: ['core'] },
    },
    {
      name: 'shared-never-imports-its-users',
      comment: 'shared/ is the library the rest is built on',
      severity: 'error',
      from: { path: '^shared/' },
      to: { path: '^(functions|scripts|bench|test|testbed|packaging|cli)/' },
    },
    ...roomRules,
    ...sameLevelRules,
    { name: 'not-to-unresolvable', comment: 'every import resolves', severity: 'error', from: {}, to: { couldNotResolve: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|coverage|\\.cache)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.mjs', '.js', '.cjs', '.d.ts'] },
    moduleSystems: ['es6', 'cjs'],
  },
};
