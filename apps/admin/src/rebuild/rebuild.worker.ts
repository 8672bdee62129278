import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { RebuildEngine } from '@feedwerk/read-models';
import { WakeSignal } from '@feedwerk/platform';

const POLL_MS = 1_000;
/** Consecutive failed batches after which a rebuild is marked failed (its tables dropped). */
const MAX_FAILURES = 8;

/**
 * Runs the rebuilds: picks up `building` rows (requested by any admin process), one batch of each
 * in turn, until they switch or are cancelled. Several admin processes may run this worker; the
 * engine's locks let one builder at a time work on a projection, and each continues from the
 * checkpoint the last committed batch left, so a crash only loses the batch in flight.
 */
@Injectable()
export class RebuildWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger(RebuildWorker.name);
  private readonly signal = new WakeSignal();
  private readonly failures = new Map<string, number>();
  private running = false;
  private loop: Promise<void> | null = null;

  constructor(private readonly engine: RebuildEngine) {}

  onApplicationBootstrap(): void {
    this.running = true;
    this.loop = this.run();
  }

  async onModuleDestroy(): Promise<void> {
    this.running = false;
    this.signal.close();
    await this.loop;
    // A checkpoint may still be written on another connection: let it commit before the pool closes.
    await this.engine.settle();
  }

  /** A rebuild was requested or cancelled: look now, not at the next poll. */
  wakeUp(): void {
    this.signal.notify();
  }

  private async run(): Promise<void> {
    while (this.running) {
      let worked = false;
      try {
        for (const rebuild of await this.engine.pending()) {
          if (!this.running) break;
          worked = (await this.stepOf(rebuild.id)) || worked;
        }
      } catch (error) {
        this.log.warn(`looking for rebuilds failed: ${String(error)}`);
      }
      // Between batches: yield to requests (and, on PGlite, to the other users of its one connection).
      if (worked) await new Promise((resolve) => setImmediate(resolve));
      else await this.signal.wait(POLL_MS);
    }
  }

  /** One batch; true when it made progress. */
  private async stepOf(id: string): Promise<boolean> {
    try {
      // Checkpoints are written while the next batches are folded; a failed write is thrown by a later step.
      const outcome = await this.engine.step(id, { overlap: true });
      this.failures.delete(id);
      if (outcome === 'live' || outcome === 'cancelled') this.log.log(`rebuild ${id}: ${outcome}`);
      return outcome === 'continue';
    } catch (error) {
      const failures = (this.failures.get(id) ?? 0) + 1;
      this.failures.set(id, failures);
      this.log.warn(`rebuild ${id}: batch failed (attempt ${failures}): ${String(error)}`);
      if (failures >= MAX_FAILURES) {
        this.failures.delete(id);
        await this.engine.fail(id, String(error)).catch((e: unknown) => {
          this.log.error(`rebuild ${id}: could not be marked failed: ${String(e)}`);
        });
        return false;
      }
      await this.signal.wait(Math.min(10_000, 100 * 2 ** failures), { wakeable: false });
      return false;
    }
  }
}
