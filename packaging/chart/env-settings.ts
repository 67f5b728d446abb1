// The function settings a chart user sets per function, as JSON Schema fragments for
// values.schema.json, made from the settings' own declarations (shared/config/setting.ts):
// the bounds, values and words are the ones the functions' config readers use.
// test/unit/packaging/chart-schema.test.ts feeds each bound to readFunctionConfig.
import type { Setting, SettingShape } from '../../shared/config/setting.ts';
import { allSettings } from '../all-settings.ts';

type Fragment = Record<string, unknown>;

/**
 * Variables the chart sets itself or that do not belong in a chart: the platform sets
 * the port and address, the chart wires the token from its Secret, Knative probes over HTTP.
 */
export const ENV_SET_BY_CHART: Record<string, string> = {
  PORT: 'set by Knative / the OpenFaaS watchdog contract (8080)',
  HOST: 'the pod listens on all addresses',
  POD_NAMESPACE: 'read from the mounted ServiceAccount',
  AUTH_TOKEN: 'from the token Secret (auth.*)',
  AUTH_TOKEN_FILE: 'OpenFaaS: stack.yml mounts the Secret',
  LOCK_FILE: 'Knative probes over HTTP: empty, so the root filesystem stays read-only',
  EVIDENCE_NAMESPACE: "the chart's Roles for the evidence Secrets are in the default, falco-response-evidence",
};

const text = { type: 'string', minLength: 1 };

export function schemaOfShape(shape: SettingShape): Fragment {
  switch (shape.kind) {
    case 'boolean':
      return { type: 'boolean' };
    case 'integer':
      return { type: 'integer', minimum: shape.min, maximum: shape.max };
    case 'enum':
      return { enum: [...shape.values] };
    // A comma-separated list, or a YAML list (written as the JSON array the functions also accept).
    case 'list':
      return { oneOf: [text, { type: 'array', items: shape.items ? { enum: [...shape.items] } : text, minItems: 1 }] };
    case 'text':
      return { ...text, ...(shape.pattern && { pattern: shape.pattern }), ...(shape.maxLength && { maxLength: shape.maxLength }) };
    case 'custom':
      return shape.schema;
  }
}

/** The settings a chart user may set, by variable. */
export function chartSettings(): Map<string, Setting<unknown>> {
  return new Map(
    allSettings()
      .filter((s) => !(s.name in ENV_SET_BY_CHART))
      .map((s) => [s.name, s]),
  );
}

export function envSchema(): Fragment {
  const properties: Record<string, Fragment> = {};
  for (const [name, declared] of chartSettings()) properties[name] = { ...schemaOfShape(declared.shape), description: declared.meaning };
  return { type: 'object', additionalProperties: false, properties };
}
