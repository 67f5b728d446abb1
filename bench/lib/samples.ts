// Named series of measurements collected across interleaved rounds.
import { median, percentile } from './stats.ts';

export class Samples {
  private readonly series = new Map<string, number[]>();

  add(key: string, value: number): void {
    let values = this.series.get(key);
    if (!values) {
      values = [];
      this.series.set(key, values);
    }
    values.push(value);
  }

  values(key: string): number[] {
    return this.series.get(key) ?? [];
  }

  keys(): string[] {
    return [...this.series.keys()];
  }

  has(key: string): boolean {
    return this.values(key).length > 0;
  }

  median(key: string): number {
    return median(this.values(key));
  }

  percentile(key: string, p: number): number {
    return percentile(this.values(key), p);
  }
}
