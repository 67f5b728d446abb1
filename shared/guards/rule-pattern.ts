// Rule selectors from configuration: an exact rule name, a glob with `*`, or /a regex/.
export type RulePattern = { source: string; test: (rule: string) => boolean };

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function compileRulePattern(source: string): RulePattern {
  const regex = /^\/(.+)\/([i]*)$/.exec(source);
  if (regex) {
    const compiled = new RegExp(regex[1]!, regex[2]);
    return { source, test: (rule) => compiled.test(rule) };
  }
  if (source.includes('*')) {
    const compiled = new RegExp(`^${source.split('*').map(escapeRegex).join('.*')}$`);
    return { source, test: (rule) => compiled.test(rule) };
  }
  return { source, test: (rule) => rule === source };
}

/** Namespace patterns: exact names or globs such as `kube-*`. */
export function compileNamePattern(source: string): RulePattern {
  return source.includes('*') ? compileRulePattern(source) : { source, test: (name) => name === source };
}
