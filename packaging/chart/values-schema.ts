// The chart's values.schema.json: Helm validates the merged values against it before it
// renders anything, so a bad value stops `helm install` with the path and the reason.
// Written by `make manifests` (packaging/generated-files.ts).
import { FUNCTION_NAMES } from '../names.ts';
import { envSchema } from './env-settings.ts';

type Schema = Record<string, unknown>;

const object = (properties: Record<string, Schema>, required: string[] = []): Schema => ({ type: 'object', additionalProperties: false, properties, ...(required.length ? { required } : {}) });
const kubeName = { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 };
const labels = { type: 'object', additionalProperties: { type: 'string' } };
const quantity = { oneOf: [{ type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$' }, { type: 'number', minimum: 0 }] };
const resourceList = { type: 'object', additionalProperties: false, properties: { cpu: quantity, memory: quantity, 'ephemeral-storage': quantity } };
// Prometheus durations, e.g. 30s, 5m, 24h, 1d.
const promDuration = { type: 'string', pattern: '^([0-9]+(ms|s|m|h|d|w|y))+$' };

const image = object(
  {
    // Empty only while the function is disabled (enabledNeedsImage): nothing is published.
    repository: { type: 'string', pattern: '^([^\\s:@/]+(:[0-9]+)?(/[^\\s:@/]+)*)?$', description: 'image repository, e.g. registry.example.com/sec/falco-delete-pod (required: nothing is published)' },
    tag: { type: 'string', pattern: '^([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$' },
    digest: { type: 'string', pattern: '^(sha256:[a-f0-9]{64})?$' },
    pullPolicy: { enum: ['Always', 'IfNotPresent', 'Never'] },
  },
  ['repository'],
);

const functionValues = object(
  {
    enabled: { type: 'boolean' },
    image,
    env: envSchema(),
    resources: object({ requests: resourceList, limits: resourceList }),
    scale: object({ min: { type: 'integer', minimum: 0 }, max: { type: 'integer', minimum: 1 } }, ['min', 'max']),
    containerConcurrency: { type: 'integer', minimum: 0, maximum: 1000 },
    timeoutSeconds: { type: 'integer', minimum: 1, maximum: 3600 },
    trigger: object({ filter: { type: 'object', minProperties: 1, additionalProperties: { type: 'string', minLength: 1 }, propertyNames: { pattern: '^[a-z0-9]+$' } } }, ['filter']),
  },
  ['enabled', 'image', 'env'],
);

// An enabled function needs its image; a disabled one may leave it empty.
const enabledNeedsImage = {
  if: { properties: { enabled: { const: true } } },
  then: { properties: { image: { properties: { repository: { minLength: 1 } } } } },
};

export function valuesSchema(): Schema {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'falco-response-functions chart values',
    $defs: { function: { ...functionValues, ...enabledNeedsImage } },
    ...object(
      {
        platform: { enum: ['knative', 'openfaas'], description: 'where the functions run' },
        openfaas: object({ edition: { enum: ['ce', 'pro'] } }),
        knative: object({
          clusterLocal: { type: 'boolean' },
          eventing: object({
            enabled: { type: 'boolean' },
            brokerName: kubeName,
            delivery: object({
              retry: { type: 'integer', minimum: 0 },
              backoffPolicy: { enum: ['exponential', 'linear'] },
              backoffDelay: { type: 'string', pattern: '^P(T?[0-9.]+[HMS])+$|^PT[0-9.]+S$' },
              deadLetterSink: { type: 'object' },
            }),
          }),
        }),
        auth: object({ enabled: { type: 'boolean' }, existingSecret: { anyOf: [{ const: '' }, kubeName] }, token: { anyOf: [{ const: '' }, { type: 'string', minLength: 32 }] } }),
        functions: object(Object.fromEntries(FUNCTION_NAMES.map((name) => [name, { $ref: '#/$defs/function' }])), [...FUNCTION_NAMES]),
        observability: object({
          dashboard: object({ enabled: { type: 'boolean' }, labels, annotations: labels }),
          podMonitor: object({ enabled: { type: 'boolean' }, interval: promDuration, labels }),
          serviceMonitor: object({ enabled: { type: 'boolean' }, interval: promDuration, labels, selector: { type: 'object' }, port: { type: 'string', minLength: 1 } }),
          prometheusRule: object({ enabled: { type: 'boolean' }, labels, noAlertsFor: promDuration }),
        }),
      },
      ['platform', 'functions'],
    ),
  };
}
