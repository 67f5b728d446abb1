// Writing results as a table (for people), JSON or YAML (for scripts): the same rows.
import { stringify } from 'yaml';
import type { Output } from './args.ts';

export interface Table<R> {
  columns: Array<[header: string, cell: (row: R) => string]>;
  rows: R[];
  /** Said when there are no rows (table only). */
  empty: string;
}

export function render<R>(format: Output, table: Table<R>, data: unknown = table.rows): string {
  if (format === 'json') return `${JSON.stringify(data, null, 2)}\n`;
  if (format === 'yaml') return stringify(data);
  if (table.rows.length === 0) return `${table.empty}\n`;
  const cells = [table.columns.map(([header]) => header), ...table.rows.map((row) => table.columns.map(([, cell]) => cell(row)))];
  const widths = table.columns.map((_, i) => Math.max(...cells.map((line) => line[i]!.length)));
  return `${cells.map((line) => line.map((cell, i) => (i === line.length - 1 ? cell : cell.padEnd(widths[i]!))).join('   ')).join('\n')}\n`;
}

/** 45s, 12m, 3h, 2d: as kubectl shows ages. */
export function age(from: string | undefined, now = Date.now()): string {
  if (!from) return '-';
  const seconds = Math.max(0, Math.floor((now - new Date(from).getTime()) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86400)}d`;
}

/** One result: its sentence for people, the data for scripts. */
export function result(format: Output, sentence: string, data: unknown): string {
  return format === 'table' ? `${sentence}\n` : render(format, { columns: [], rows: [], empty: '' }, data);
}
