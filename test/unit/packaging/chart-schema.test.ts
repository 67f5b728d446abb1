// The chart's per-function env settings agree with the functions themselves: every README
// setting is either settable in values (and schema-checked) or set by the chart, and each
// bound the schema allows is one the function's own config reader accepts (and one past it
// is refused by both).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chartSettings, ENV_SET_BY_CHART } from '../../../packaging/chart/env-settings.ts';
import { ConfigError } from '../../../shared/config/env-reader.ts';
import { parse } from 'yaml';
import { FUNCTIONS } from '../../../functions/index.ts';
import { readFunctionConfig } from '../../../shared/function-config.ts';
import { repoRoot } from '../../../testbed/packaging/manifests.ts';

// Each function reads the shared settings and its own: a value is accepted when every function accepts it.
const accepts = (env: Record<string, string>) => {
  try {
    for (const spec of FUNCTIONS) readFunctionConfig(env, false, spec);
    return true;
  } catch (error) {
    if (error instanceof ConfigError) return false;
    throw error;
  }
};

describe('chart env settings', () => {
  it('cover every variable of the configuration table (docs/configuration.md), settable or set by the chart', () => {
    const readme = readFileSync(join(repoRoot, 'docs/configuration.md'), 'utf8');
    const table = readme.slice(readme.indexOf('| variable | default | meaning |'));
    const documented = [...table.slice(0, table.indexOf('\n\n')).matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]!);
    expect(documented.length).toBeGreaterThan(20);
    expect([...chartSettings().keys(), ...Object.keys(ENV_SET_BY_CHART)].sort()).toEqual([...documented].sort());
  });

  const integers = [...chartSettings()].flatMap(([name, { shape }]) => (shape.kind === 'integer' ? [[name, shape] as const] : []));
  it.each(integers)("%s: the schema's bounds are the function's own", (name, { min, max }) => {
    expect(accepts({ [name]: String(min) })).toBe(true);
    expect(accepts({ [name]: String(max) })).toBe(true);
    expect(accepts({ [name]: String(min - 1) })).toBe(false);
    expect(accepts({ [name]: String(max + 1) })).toBe(false);
  });
});

describe('chart env settings: the enumerations', () => {
  const schemaOf = (name: string) => {
    const shape = chartSettings().get(name)!.shape;
    return shape.kind === 'enum' ? shape.values : [];
  };

  it.each(['MIN_PRIORITY', 'LOG_LEVEL', 'UNSELECTED_LOG_LEVEL', 'CLOUDEVENT_REPLY', 'METRICS_AUTH'])(
    '%s: every value the schema allows, the function accepts',
    (name) => {
      const values = schemaOf(name);
      expect(values.length).toBeGreaterThan(1);
      // The chart always sets AUTH_TOKEN with auth on (METRICS_AUTH=token needs it).
      for (const value of values) expect(accepts({ [name]: value, AUTH_TOKEN: 'chart-token' }), `${name}=${value}`).toBe(true);
      expect(accepts({ [name]: 'not-a-value' })).toBe(false);
    },
  );
});

describe("the chart's functions", () => {
  it("are the registry's (functions/index.ts), each with the RULES and MIN_PRIORITY its spec ships", () => {
    const values = parse(readFileSync(join(repoRoot, 'charts/falco-response-functions/values.yaml'), 'utf8'));
    expect(Object.keys(values.functions)).toEqual(FUNCTIONS.map((spec) => spec.name));
    for (const spec of FUNCTIONS) {
      expect(values.functions[spec.name].env, spec.name).toMatchObject({
        RULES: spec.deployment.rules,
        MIN_PRIORITY: spec.deployment.minPriority,
      });
    }
  });
});
