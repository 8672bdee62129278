import { Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { WakeSignal } from './wake-signal';

/** The wait after the n-th failure in a row (n from 1). */
export type Backoff = (failures: number) => number;

/**
 * 200 ms doubling to `maxMs`. With `jitter`, each wait is cut to a random 50–100 %, so several
 * processes that failed together (a broker or database restart) do not retry in step.
 */
export const exponentialBackoff =
  ({ maxMs = 10_000, jitter = false }: { maxMs?: number; jitter?: boolean } = {}): Backoff =>
  (failures) =>
    Math.min(maxMs, 100 * 2 ** Math.min(failures, 7)) * (jitter ? 0.5 + Math.random() / 2 : 1);

export interface PollingLoopOptions {
  /** The loop's log context (its class name). */
  name: string;
  /** What one step does, for the log line of a failure ("<task> failed (attempt n) …"). */
  task: string;
  /** The poll interval: the longest the loop waits for work that nobody announced with `wakeUp()`. */
  idleMs: number;
  /** Default: `exponentialBackoff()`. The failure count starts again after a step that succeeds. */
  backoff?: Backoff;
}

/**
 * Runs `step()` again and again, one at a time, from start until stop (the Nest lifecycle: started
 * at application bootstrap, stopped at module destroy). What it owns so that the relay, the
 * publishers and the workers do not each write it again: the running flag, waiting between steps on
 * a wake signal or the poll interval (a wake-up that arrives during a step is remembered, none is
 * lost), back-off after failures (a back-off is not cut short by wake-ups, so a stream of them
 * cannot turn it into a hot loop; only stopping ends it), and a stop that returns after the step in
 * flight has finished, never in the middle of one.
 */
export abstract class PollingLoop implements OnApplicationBootstrap, OnModuleDestroy {
  protected readonly log: Logger;
  private readonly signal = new WakeSignal();
  private readonly backoff: Backoff;
  private active = false;
  private loop: Promise<void> | null = null;

  protected constructor(private readonly options: PollingLoopOptions) {
    this.log = new Logger(options.name);
    this.backoff = options.backoff ?? exponentialBackoff();
  }

  /**
   * One unit of work. Resolves true when there is more to do at once (the loop runs it again after
   * yielding to the event loop), false when there is nothing for now (the loop waits for `wakeUp()` or
   * the poll interval). A throw is a failure: logged, then the next step comes after a back-off.
   */
  protected abstract step(): Promise<boolean>;

  /** Starts the loop (once; a stopped loop does not start again). */
  onApplicationBootstrap(): void {
    if (this.loop) return;
    this.active = true;
    this.loop = this.run();
  }

  /** Stops the loop: ends any wait at once and resolves when the step in flight has finished. */
  async onModuleDestroy(): Promise<void> {
    this.active = false;
    this.signal.close();
    await this.loop;
  }

  /** True from start until stop: a long step checks it to end early on shutdown. */
  get running(): boolean {
    return this.active;
  }

  /** There is new work: the next wait between steps (or the current one) ends at once. */
  wakeUp(): void {
    this.signal.notify();
  }

  /** A wait inside a step that only stopping ends, not a wake-up (a step's own back-off). */
  protected pause(ms: number): Promise<void> {
    return this.signal.wait(ms, { wakeable: false });
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.active) {
      try {
        const more = await this.step();
        failures = 0;
        // Yield between steps even when there is more: requests (and, on PGlite, the other users of
        // its one connection) get their turn.
        if (more) await new Promise((resolve) => setImmediate(resolve));
        else await this.signal.wait(this.options.idleMs);
      } catch (error) {
        failures += 1;
        const delay = this.backoff(failures);
        this.log.warn(
          `${this.options.task} failed (attempt ${failures}), retrying in ${Math.round(delay)} ms: ${String(error)}`,
        );
        await this.pause(delay);
      }
    }
  }
}
