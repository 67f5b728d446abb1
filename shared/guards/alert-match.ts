// Does this function respond to this alert at all? Rule, priority, tags and source.
import type { FalcoAlert } from '../alert/falco-alert.ts';
import { prioritySeverity, type FalcoPriority } from '../alert/priority.ts';
import type { RulePattern } from './rule-pattern.ts';

/** What a function is configured to respond to (RULES, MIN_PRIORITY, REQUIRED_TAGS, SOURCES). */
export interface AlertSelection {
  rules: RulePattern[];
  minPriority: FalcoPriority;
  requiredTags: string[];
  sources: string[];
}

export interface Mismatch {
  reason: 'rule-not-selected' | 'priority-below-minimum' | 'missing-tags' | 'source-not-selected';
  message: string;
}

export function findMismatch(alert: FalcoAlert, config: AlertSelection): Mismatch | undefined {
  if (!config.rules.some((pattern) => pattern.test(alert.rule))) {
    return {
      reason: 'rule-not-selected',
      message: `rule ${JSON.stringify(alert.rule)} is not in RULES (${config.rules.map((r) => r.source).join(', ')})`,
    };
  }
  if (prioritySeverity(alert.priority) < prioritySeverity(config.minPriority)) {
    return { reason: 'priority-below-minimum', message: `priority ${alert.priority} is below MIN_PRIORITY ${config.minPriority}` };
  }
  const missing = config.requiredTags.filter((tag) => !alert.tags.includes(tag));
  if (missing.length > 0) return { reason: 'missing-tags', message: `the alert lacks the required tags ${missing.join(', ')}` };
  if (config.sources.length > 0 && !config.sources.includes(alert.source ?? '')) {
    return {
      reason: 'source-not-selected',
      message: `source ${JSON.stringify(alert.source ?? '(none)')} is not in SOURCES (${config.sources.join(', ')})`,
    };
  }
  return undefined;
}

/** How old the alert is, in seconds (negative when it claims to come from the future). */
export function alertAgeSeconds(alert: FalcoAlert, now: Date = new Date()): number {
  return (now.getTime() - alert.time.getTime()) / 1000;
}
