// The one source of truth for what a Falco alert is: the JSON Schema below is compiled by
// ajv (ahead of time, see scripts/generate-alert-validator.ts) and the FalcoAlertPayload type
// is derived from it, so the validator and the type cannot drift apart.
import type { FromSchema } from 'json-schema-to-ts';

// RFC 3339 date-time. Falco writes nanoseconds, Falcosidekick's test alert none; ajv-formats
// would need a runtime import for this, a pattern keeps the standalone validator self-contained.
export const RFC3339_PATTERN =
  '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt ]([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\\.[0-9]{1,9})?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$';

// Falco's priorities in any letter case (see priority.ts; kept literal here so the schema is data).
export const PRIORITY_PATTERN =
  '^([Ee][Mm][Ee][Rr][Gg][Ee][Nn][Cc][Yy]|[Aa][Ll][Ee][Rr][Tt]|[Cc][Rr][Ii][Tt][Ii][Cc][Aa][Ll]|[Ee][Rr][Rr][Oo][Rr]|[Ww][Aa][Rr][Nn][Ii][Nn][Gg]|[Nn][Oo][Tt][Ii][Cc][Ee]|[Ii][Nn][Ff][Oo][Rr][Mm][Aa][Tt][Ii][Oo][Nn][Aa][Ll]|[Dd][Ee][Bb][Uu][Gg]|[Ii][Nn][Ff][Oo])$';

const scalarField = {
  anyOf: [{ type: 'string', maxLength: 65536 }, { type: 'number' }, { type: 'boolean' }, { type: 'null' }],
} as const;

export const falcoAlertSchema = {
  $id: 'https://falco-response-functions.dev/schemas/falco-alert.json',
  title: 'Falco alert as Falco and Falcosidekick send it',
  type: 'object',
  // Falcosidekick's own Check() refuses alerts without these.
  required: ['priority', 'rule', 'time', 'output_fields'],
  properties: {
    uuid: { type: 'string', maxLength: 256 },
    output: { type: 'string', maxLength: 262144 },
    priority: { type: 'string', pattern: PRIORITY_PATTERN },
    rule: { type: 'string', minLength: 1, maxLength: 1024 },
    time: { type: 'string', pattern: RFC3339_PATTERN },
    output_fields: {
      type: 'object',
      minProperties: 1,
      maxProperties: 1024,
      propertyNames: { minLength: 1, maxLength: 256 },
      additionalProperties: {
        anyOf: [...scalarField.anyOf, { type: 'array', maxItems: 1024, items: scalarField }],
      },
    },
    source: { type: 'string', maxLength: 256 },
    tags: { type: 'array', maxItems: 256, items: { type: 'string', maxLength: 256 } },
    hostname: { type: 'string', maxLength: 256 },
  },
  // Newer Falco versions add fields; unknown ones are kept but never used.
  additionalProperties: true,
} as const;

export type FalcoAlertPayload = FromSchema<typeof falcoAlertSchema>;
