// At most N actions per function instance per time window: a bad rule can match every pod
// in the cluster. Beyond it, decisions turn into dry-runs until the window passes.
export class BlastRadiusLimit {
  private readonly max: number;
  private readonly windowMs: number;
  private readonly actions: number[] = [];

  constructor(max: number, windowSeconds: number) {
    this.max = max;
    this.windowMs = windowSeconds * 1000;
  }

  private prune(now: number): void {
    while (this.actions.length > 0 && this.actions[0]! <= now - this.windowMs) this.actions.shift();
  }

  /** Takes one action slot; false when the window is full. */
  tryReserve(now: number = Date.now()): boolean {
    this.prune(now);
    if (this.actions.length >= this.max) return false;
    this.actions.push(now);
    return true;
  }

  /** Gives back a slot whose action turned out to be a no-op (already done, target gone). */
  release(reservedAt?: number): void {
    const index = reservedAt === undefined ? this.actions.length - 1 : this.actions.lastIndexOf(reservedAt);
    if (index >= 0) this.actions.splice(index, 1);
  }

  /** Seconds until a slot frees up. */
  secondsUntilFree(now: number = Date.now()): number {
    this.prune(now);
    if (this.actions.length < this.max || this.actions.length === 0) return 0;
    return Math.ceil((this.actions[0]! + this.windowMs - now) / 1000);
  }
}
