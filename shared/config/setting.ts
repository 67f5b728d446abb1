// A setting is declared once, where the code that reads it lives: its variable, how it is
// parsed and checked, its default, and the words docs/configuration.md shows for it (the
// table is generated from these declarations, and the chart's values schema from their shapes).
import type { EnvReader } from './env-reader.ts';

/** The JSON Schema fragment of a setting's value, for the chart's values.schema.json. */
export type SettingShape =
  | { kind: 'boolean' }
  | { kind: 'integer'; min: number; max: number }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'list'; items?: readonly string[] }
  | { kind: 'text'; pattern?: string; maxLength?: number }
  /** A value with its own syntax (MIN_READY_REPLICAS: 2 or 50%): the schema fragment itself. */
  | { kind: 'custom'; schema: Record<string, unknown> };

export interface Setting<T> {
  /** The environment variable. */
  readonly name: string;
  /** The default as the configuration table shows it (`600`, (none), "the pod's"). */
  readonly shownDefault: string;
  /** The table's meaning column (Markdown). */
  readonly meaning: string;
  readonly shape: SettingShape;
  read(reader: EnvReader): T;
}

type Bounds = { min: number; max: number };
const code = (value: string | number | boolean) => `\`${value}\``;

export const setting = {
  boolean(name: string, fallback: boolean, meaning: string): Setting<boolean> {
    return { name, shownDefault: code(fallback), meaning, shape: { kind: 'boolean' }, read: (r) => r.boolean(name, fallback) };
  },
  integer(name: string, fallback: number, bounds: Bounds, meaning: string): Setting<number> {
    return {
      name,
      shownDefault: code(fallback),
      meaning,
      shape: { kind: 'integer', ...bounds },
      read: (r) => r.integer(name, fallback, bounds),
    };
  },
  /** Unset means "not ours to choose" (GRACE_PERIOD_SECONDS: the pod's own). */
  optionalInteger(name: string, bounds: Bounds, shownDefault: string, meaning: string): Setting<number | undefined> {
    return {
      name,
      shownDefault,
      meaning,
      shape: { kind: 'integer', ...bounds },
      read: (r) => (r.raw(name) === undefined ? undefined : r.integer(name, bounds.min, bounds)),
    };
  },
  text(name: string, fallback: string, meaning: string, check?: { pattern: RegExp; problem: string; maxLength?: number }): Setting<string> {
    return {
      name,
      shownDefault: code(fallback),
      meaning,
      shape: { kind: 'text', ...(check && { pattern: check.pattern.source }), ...(check?.maxLength && { maxLength: check.maxLength }) },
      read: (r) => {
        const value = r.string(name, fallback);
        if (check && (!check.pattern.test(value) || value.length > (check.maxLength ?? Infinity)))
          r.problem(`${name}=${JSON.stringify(value)}: ${check.problem}`);
        return value;
      },
    };
  },
  optionalText(name: string, shownDefault: string, meaning: string): Setting<string | undefined> {
    return { name, shownDefault, meaning, shape: { kind: 'text' }, read: (r) => r.optionalString(name) };
  },
  list(name: string, fallback: readonly string[], shownDefault: string, meaning: string, items?: readonly string[]): Setting<string[]> {
    return { name, shownDefault, meaning, shape: { kind: 'list', ...(items && { items }) }, read: (r) => r.list(name, fallback) };
  },
  oneOf<const V extends string>(name: string, values: readonly V[], fallback: V, meaning: string): Setting<V> {
    return { name, shownDefault: code(fallback), meaning, shape: { kind: 'enum', values }, read: (r) => r.oneOf(name, values, fallback) };
  },
  /** Parsed by the caller (patterns, priorities, a file's contents). */
  custom<T>(name: string, shownDefault: string, meaning: string, shape: SettingShape, read: (reader: EnvReader) => T): Setting<T> {
    return { name, shownDefault, meaning, shape, read };
  },
};

type ValuesOf<D extends Record<string, Setting<unknown>>> = { [K in keyof D]: D[K] extends Setting<infer T> ? T : never };

/** Settings read together; `finish` checks how they combine and shapes what the reader gets. */
export interface SettingsGroup<T> {
  readonly declarations: readonly Setting<unknown>[];
  read(reader: EnvReader): T;
}

export function settingsGroup<D extends Record<string, Setting<unknown>>, T = ValuesOf<D>>(
  declared: D,
  finish?: (values: ValuesOf<D>, reader: EnvReader) => T,
): SettingsGroup<T> {
  return {
    declarations: Object.values(declared),
    read(reader) {
      const values = Object.fromEntries(
        Object.entries(declared).map(([key, declaration]) => [key, declaration.read(reader)]),
      ) as ValuesOf<D>;
      return finish ? finish(values, reader) : (values as unknown as T);
    },
  };
}
