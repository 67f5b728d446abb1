// What a PromQL expression names, read with Prometheus's own grammar (@prometheus-io/lezer-promql):
// the metrics it selects and the labels it matches or groups by.
import { parser } from '@prometheus-io/lezer-promql';

export interface PromqlNames {
  metrics: string[];
  labels: string[];
}

/** Grafana's variables, replaced by values of the same kind before parsing. */
function withoutGrafanaVariables(expr: string): string {
  return expr.replaceAll('$__rate_interval', '5m').replaceAll('$__range', '1h').replaceAll('$__interval', '1m');
}

export function promqlNames(expression: string): PromqlNames {
  const expr = withoutGrafanaVariables(expression);
  const metrics = new Set<string>();
  const labels = new Set<string>();
  const errors: string[] = [];
  parser.parse(expr).iterate({
    enter(node) {
      if (node.type.isError) errors.push(`at ${node.from}: ${JSON.stringify(expr.slice(Math.max(0, node.from - 10), node.to + 10))}`);
      if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector') metrics.add(expr.slice(node.from, node.to));
      if (node.name === 'LabelName') labels.add(expr.slice(node.from, node.to));
    },
  });
  if (errors.length > 0) throw new Error(`not valid PromQL: ${expression}\n${errors.join('\n')}`);
  return { metrics: [...metrics].sort(), labels: [...labels].sort() };
}

/** Metric name → the label names its series carry, from a Prometheus text exposition. */
export function exposedSeries(exposition: string): Map<string, Set<string>> {
  const series = new Map<string, Set<string>>();
  for (const line of exposition.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? /.exec(line);
    if (!match) continue;
    const names = series.get(match[1]!) ?? new Set<string>();
    for (const label of (match[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)) names.add(label[1]!);
    series.set(match[1]!, names);
  }
  return series;
}
