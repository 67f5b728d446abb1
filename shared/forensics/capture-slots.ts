// A bound on the captures running at once in one instance: an alert storm must not turn into
// as many concurrent log reads (memory, API server load). A capture waits for a slot only as
// long as its deadline allows; it gets none when the deadline passes first.
export class CaptureSlots {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly max: number;
  constructor(max: number) {
    this.max = max;
  }

  /** A release function, or undefined when `signal` aborted before a slot was free. */
  async acquire(signal: AbortSignal): Promise<(() => void) | undefined> {
    while (this.running >= this.max) {
      if (signal.aborted) return undefined;
      const freed = await new Promise<boolean>((done) => {
        const wake = () => done(true);
        this.waiting.push(wake);
        signal.addEventListener(
          'abort',
          () => {
            const index = this.waiting.indexOf(wake);
            if (index >= 0) this.waiting.splice(index, 1);
            done(false);
          },
          { once: true },
        );
      });
      if (!freed) return undefined;
    }
    this.running++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
      this.waiting.shift()?.();
    };
  }

  get inUse(): number {
    return this.running;
  }
}
