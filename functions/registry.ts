// The functions this project ships, one line each. Adding a function is a folder beside these
// (its spec.ts and index.ts) and one line here; everything that lists functions (bundling,
// RBAC, stack.yml, knative/, serve, the tests) reads the list from functions/index.ts.
export { deletePodSpec } from './delete-pod/spec.ts';
export { isolatePodSpec } from './isolate-pod/spec.ts';
export { scaleToZeroSpec } from './scale-to-zero/spec.ts';
