// Settings of the evidence a function keeps before it acts (docs/configuration.md is generated
// from these declarations): what is captured, where it is stored, and how long and how much
// the capture may take before the action goes ahead without it.
import { setting, settingsGroup } from '../config/setting.ts';

export const EVIDENCE_MODES = ['off', 'facts', 'logs'] as const;
export type EvidenceMode = (typeof EVIDENCE_MODES)[number];

export const DEFAULT_EVIDENCE_NAMESPACE = 'falco-response-evidence';

export interface EvidenceSettings {
  /** off: nothing kept; facts: the pod, its owners, the alert, its Events; logs: those and the containers' logs. */
  mode: EvidenceMode;
  namespace: string;
  /** The last bytes of each container's log kept, current and previous instance each. */
  logBytes: number;
  /** How long the capture may delay the action, all of it (the store included). */
  timeoutMs: number;
  /** Captures running at once in one instance; more wait for a slot within their deadline. */
  maxConcurrent: number;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export const EVIDENCE_SETTINGS = settingsGroup({
  mode: setting.oneOf(
    'EVIDENCE',
    EVIDENCE_MODES,
    'logs',
    'evidence kept before the action, one Secret per action: `logs` (the pod as read, its owners, the alert, its Events and ' +
      "its containers' last log bytes), `facts` (the same without logs), `off`",
  ),
  namespace: setting.text(
    'EVIDENCE_NAMESPACE',
    DEFAULT_EVIDENCE_NAMESPACE,
    'where the evidence Secrets are created (the only namespace a function may create Secrets in)',
    { pattern: DNS_LABEL, problem: 'not a namespace name' },
  ),
  logBytes: setting.integer(
    'EVIDENCE_LOG_BYTES',
    64 * 1024,
    { min: 1024, max: 512 * 1024 },
    "the last bytes of each container's log kept, current and previous instance (logs are cut first to stay under the API server's 1 MiB)",
  ),
  timeoutMs: setting.integer(
    'EVIDENCE_TIMEOUT_MS',
    2000,
    { min: 100, max: 30_000 },
    'the longest the capture may delay the action; past it the action goes ahead and the decision says what was not captured',
  ),
  maxConcurrent: setting.integer(
    'EVIDENCE_MAX_CONCURRENT',
    4,
    { min: 1, max: 64 },
    'captures running at once per instance; others wait for one within their deadline',
  ),
});

export function readEvidenceSettings(reader: Parameters<typeof EVIDENCE_SETTINGS.read>[0]): EvidenceSettings {
  return EVIDENCE_SETTINGS.read(reader);
}
