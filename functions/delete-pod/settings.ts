// Settings only delete-pod reads (docs/configuration.md is generated from these declarations).
import type { EnvReader } from '../../shared/config/env-reader.ts';
import { setting, settingsGroup } from '../../shared/config/setting.ts';

export interface DeletePodSettings {
  /** Ready replicas the owner must keep, as a count or a percentage of desired replicas. */
  minReadyReplicas: { count: number } | { percent: number } | undefined;
  /** The delete's grace period; undefined: the pod's own. */
  gracePeriodSeconds: number | undefined;
}

function readMinReady(reader: EnvReader): DeletePodSettings['minReadyReplicas'] {
  const value = reader.optionalString('MIN_READY_REPLICAS');
  if (value === undefined) return undefined;
  const percent = /^(\d{1,3})%$/.exec(value);
  if (percent && Number(percent[1]) <= 100) return { percent: Number(percent[1]) };
  if (/^\d+$/.test(value)) return { count: Number(value) };
  reader.problem(`MIN_READY_REPLICAS=${JSON.stringify(value)}: expected a count (2) or a percentage (50%)`);
  return undefined;
}

export const DELETE_POD_SETTINGS = settingsGroup({
  minReadyReplicas: setting.custom(
    'MIN_READY_REPLICAS',
    '(none)',
    'delete-pod: ready replicas the owner must keep, a count (`2`) or a percentage (`50%`) of desired replicas',
    {
      kind: 'custom',
      schema: {
        oneOf: [
          { type: 'integer', minimum: 0 },
          { type: 'string', pattern: '^(\\d+|(100|\\d{1,2})%)$' },
        ],
      },
    },
    readMinReady,
  ),
  gracePeriodSeconds: setting.optionalInteger(
    'GRACE_PERIOD_SECONDS',
    { min: 0, max: 86400 },
    "Kubernetes' (the pod's)",
    'delete-pod: grace period of the delete',
  ),
});

export const DEFAULT_DELETE_POD_SETTINGS: DeletePodSettings = { minReadyReplicas: undefined, gracePeriodSeconds: undefined };
