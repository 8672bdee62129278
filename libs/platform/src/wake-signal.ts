/**
 * Paces a polling loop. `wait(ms)` resolves when the time is up, when `notify()` is called (new work),
 * or when the signal is closed (shutdown). A notify that arrives while the loop is busy is remembered,
 * so the next wait returns at once and no wake-up is lost. Back-off waits pass `wakeable: false`:
 * only closing ends them early, so a stream of notifications cannot turn a back-off into a hot loop.
 */
export class WakeSignal {
  private pending = false;
  private closed = false;
  private readonly waiters = new Set<{ resolve: () => void; wakeable: boolean; timer: NodeJS.Timeout }>();

  notify(): void {
    const wakeable = [...this.waiters].filter((w) => w.wakeable);
    if (wakeable.length === 0) {
      this.pending = true;
      return;
    }
    for (const waiter of wakeable) this.release(waiter);
  }

  wait(ms: number, { wakeable = true }: { wakeable?: boolean } = {}): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (wakeable && this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const waiter = { resolve, wakeable, timer: setTimeout(() => this.release(waiter), ms) };
      this.waiters.add(waiter);
    });
  }

  /** Ends every wait now and later (used on shutdown). */
  close(): void {
    this.closed = true;
    for (const waiter of this.waiters) this.release(waiter);
  }

  private release(waiter: { resolve: () => void; timer: NodeJS.Timeout }): void {
    clearTimeout(waiter.timer);
    this.waiters.delete(waiter as never);
    waiter.resolve();
  }
}
