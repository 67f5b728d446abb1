// A strict JSON Schema of the OpenFaaS stack file (stack.yml), for the keys faas-cli reads
// that this project uses (docs/openfaas.md; faas-cli's stack reference). faas-cli's own parser ignores
// unknown keys, so a typo (`enviroment:`, `secret:`) would pass it silently and deploy a
// function without its settings: here every object forbids unknown keys.
//
// Stricter than faas-cli on purpose: string maps (environment, labels, annotations,
// build_args) must hold strings, so "1" and "false" are quoted and read the same by every tool.

const stringMap = {
  type: 'object',
  propertyNames: { minLength: 1 },
  additionalProperties: { type: 'string' },
} as const;

const stringList = { type: 'array', items: { type: 'string', minLength: 1 }, uniqueItems: true } as const;

// Kubernetes quantities: "128Mi", "0.5", "100m".
const resources = {
  type: 'object',
  additionalProperties: false,
  properties: {
    memory: { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|K|M|G|T)?$' },
    cpu: { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?m?$' },
  },
} as const;

const functionSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['lang', 'handler', 'image'],
  properties: {
    lang: { type: 'string', minLength: 1 },
    handler: { type: 'string', minLength: 1 },
    image: { type: 'string', minLength: 1 },
    environment: stringMap,
    environment_file: stringList,
    secrets: stringList,
    labels: stringMap,
    annotations: stringMap,
    limits: resources,
    requests: resources,
    readonly_root_filesystem: { type: 'boolean' },
    build_args: stringMap,
    // DNS-1123 label, as a Kubernetes namespace.
    namespace: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 },
    constraints: stringList,
    skip_build: { type: 'boolean' },
  },
} as const;

export const STACK_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'OpenFaaS stack file (strict subset)',
  type: 'object',
  additionalProperties: false,
  required: ['version', 'provider', 'functions'],
  properties: {
    version: { const: '1.0' },
    provider: {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: {
        name: { const: 'openfaas' },
        gateway: { type: 'string', pattern: '^https?://' },
      },
    },
    functions: {
      type: 'object',
      minProperties: 1,
      // Function names become Kubernetes object names.
      propertyNames: { pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 },
      additionalProperties: functionSchema,
    },
    configuration: {
      type: 'object',
      additionalProperties: false,
      properties: {
        templates: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['name'],
            properties: { name: { type: 'string', minLength: 1 }, source: { type: 'string', minLength: 1 } },
          },
        },
        copy: stringList,
      },
    },
  },
} as const;

/**
 * faas-cli substitutes environment variables in the stack file before parsing it:
 * `${NAME}` and `${NAME:-default}`. Anything else that looks like a substitution is an
 * error here, so the file never depends on a form faas-cli might read differently.
 */
export function substituteStackVariables(text: string, env: Record<string, string | undefined>): string {
  const substituted = text.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g,
    (_match, name: string, fallback: string | undefined) => {
      const value = env[name];
      return value !== undefined && value !== '' ? value : (fallback ?? '');
    },
  );
  const leftover = /\$\{[^}]*\}?/.exec(substituted);
  if (leftover) throw new Error(`unsupported substitution ${leftover[0]} in stack file`);
  return substituted;
}
