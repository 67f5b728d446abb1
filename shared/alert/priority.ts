// Falco's eight priorities, most severe first. Falco spells them capitalised; senders
// and users vary, so every comparison goes through normalizePriority.
export const FALCO_PRIORITIES = ['emergency', 'alert', 'critical', 'error', 'warning', 'notice', 'informational', 'debug'] as const;

export type FalcoPriority = (typeof FALCO_PRIORITIES)[number];

// Falco itself accepts "info" as a short form of informational in its config.
const ALIASES: Record<string, FalcoPriority> = { info: 'informational' };

export function normalizePriority(value: string): FalcoPriority | undefined {
  const lower = value.trim().toLowerCase();
  if ((FALCO_PRIORITIES as readonly string[]).includes(lower)) return lower as FalcoPriority;
  return ALIASES[lower];
}

/** Higher is more severe: emergency = 7, debug = 0. */
export function prioritySeverity(priority: FalcoPriority): number {
  return FALCO_PRIORITIES.length - 1 - FALCO_PRIORITIES.indexOf(priority);
}
