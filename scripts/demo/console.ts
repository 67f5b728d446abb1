// How the demo talks to a person: numbered steps, ✓ / ✗ lines, short indented details.
// Colour only on a terminal; the same words either way (the demo's test reads them).
const tty = process.stdout.isTTY === true && !process.env.NO_COLOR;
const paint = (code: string) => (text: string) => (tty ? `\x1b[${code}m${text}\x1b[0m` : text);
export const bold = paint('1');
export const dim = paint('2');
const green = paint('32');
const red = paint('31');

export class DemoConsole {
  private failures: string[] = [];
  private readonly totalSteps: number;
  private step = 0;

  constructor(totalSteps: number) {
    this.totalSteps = totalSteps;
  }

  title(text: string, lines: string[]): void {
    console.log(`\n${bold(text)}`);
    for (const line of lines) console.log(`  ${line}`);
  }

  heading(text: string): void {
    this.step += 1;
    console.log(`\n${bold(`[${this.step}/${this.totalSteps}] ${text}`)}`);
  }

  /** A heading outside the numbered steps (the clean-up runs whatever happened before). */
  section(text: string): void {
    console.log(`\n${bold(text)}`);
  }

  ok(text: string, indent = 2): void {
    console.log(`${' '.repeat(indent)}${green('✓')} ${text}`);
  }

  fail(text: string, indent = 2): void {
    this.failures.push(text);
    console.log(`${' '.repeat(indent)}${red('✗')} ${text}`);
  }

  /** ✓ when `passed`, ✗ (and a failed demo) otherwise. */
  check(passed: boolean, okText: string, failText: string, indent = 2): boolean {
    if (passed) this.ok(okText, indent);
    else this.fail(failText, indent);
    return passed;
  }

  info(text: string, indent = 4): void {
    console.log(`${' '.repeat(indent)}${text}`);
  }

  detail(text: string, indent = 4): void {
    console.log(`${' '.repeat(indent)}${dim(text)}`);
  }

  get failed(): readonly string[] {
    return this.failures;
  }
}

/** Cuts a line to `max` characters for a terminal. */
export function clip(text: string, max = 100): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

/** Columns padded to the widest cell, for small tables. */
export function table(rows: string[][]): string[] {
  if (rows.length === 0) return [];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '));
}
