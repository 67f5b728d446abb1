// Settings of the Kubernetes client (docs/configuration.md is generated from these declarations).
import type { EnvReader } from '../config/env-reader.ts';
import { setting, settingsGroup } from '../config/setting.ts';

export interface KubeSettings {
  timeoutMs: number;
  retries: number;
}

export const KUBE_SETTINGS = settingsGroup({
  timeoutMs: setting.integer('KUBE_TIMEOUT_MS', 5000, { min: 100, max: 120_000 }, 'timeout of every Kubernetes API call'),
  retries: setting.integer(
    'KUBE_RETRIES',
    3,
    { min: 1, max: 10 },
    'attempts for calls that failed with 429/5xx/timeouts (exponential backoff, `Retry-After` honoured)',
  ),
});

export function readKubeSettings(reader: EnvReader): KubeSettings {
  return KUBE_SETTINGS.read(reader);
}
