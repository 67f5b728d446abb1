// The registry of functions (functions/registry.ts, one line each) as the list every other
// place imports: types, bundling, RBAC and the manifests, serve, the test bed and the tests.
import type { ResponseFunctionSpec } from '../shared/respond/function-spec.ts';
import * as registered from './registry.ts';

type Registered = (typeof registered)[keyof typeof registered];

/** The name of a shipped function: its folder, Service, image and ServiceAccount. */
export type FunctionName = Registered['name'];

/** Every function, in name order (the order of every generated list). */
export const FUNCTIONS: readonly ResponseFunctionSpec<FunctionName>[] = Object.values(registered).sort((a, b) =>
  a.name < b.name ? -1 : 1,
);

export const FUNCTION_NAMES: readonly FunctionName[] = FUNCTIONS.map((spec) => spec.name);

export function isFunctionName(name: string): name is FunctionName {
  return (FUNCTION_NAMES as readonly string[]).includes(name);
}

/** The registered spec of `name` (its default configuration, as the shipped manifests grant it). */
export function functionNamed(name: FunctionName): ResponseFunctionSpec<FunctionName> {
  return FUNCTIONS.find((spec) => spec.name === name)!;
}
