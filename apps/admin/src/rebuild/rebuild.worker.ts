import { Injectable } from '@nestjs/common';
import { RebuildEngine } from '@feedwerk/read-models';
import { PollingLoop } from '@feedwerk/platform';

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
export class RebuildWorker extends PollingLoop {
  private readonly failures = new Map<string, number>();

  /** `wakeUp()` when a rebuild was requested or cancelled: it looks now, not at the next poll. */
  constructor(private readonly engine: RebuildEngine) {
    // Listing the rebuilds failed (the database is away): look again a poll later.
    super({ name: RebuildWorker.name, task: 'listing rebuilds', idleMs: POLL_MS, backoff: () => POLL_MS });
  }

  override async onModuleDestroy(): Promise<void> {
    await super.onModuleDestroy();
    // A checkpoint may still be written on another connection: let it commit before the pool closes.
    await this.engine.settle();
  }

  /** One batch of each pending rebuild in turn; true when any made progress. */
  protected async step(): Promise<boolean> {
    let worked = false;
    for (const rebuild of await this.engine.pending()) {
      if (!this.running) break;
      worked = (await this.stepOf(rebuild.id)) || worked;
    }
    return worked;
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
      await this.pause(Math.min(10_000, 100 * 2 ** failures));
      return false;
    }
  }
}
