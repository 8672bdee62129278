import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { ActivitySnapshotJob } from '@feedwerk/read-models';
import { WakeSignal } from '@feedwerk/platform';

const POLL_MS = 5_000;

/**
 * Runs the activity model's snapshot job: the live generation gets a snapshot every SNAPSHOT_EVERY
 * events, so the box at a time folds at most about that many. Several admin processes may run it:
 * a snapshot is written only on top of the one its fold started from (the others start over).
 */
@Injectable()
export class SnapshotWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger(SnapshotWorker.name);
  private readonly pause = new WakeSignal();
  private stopped = false;
  private loop: Promise<void> = Promise.resolve();

  constructor(private readonly job: ActivitySnapshotJob) {}

  onApplicationBootstrap(): void {
    this.loop = this.catchUp();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    this.pause.close();
    await this.loop;
  }

  private async catchUp(): Promise<void> {
    for (; !this.stopped; await this.pause.wait(POLL_MS)) {
      const written = await this.job.run().catch((error: unknown) => {
        this.log.warn(`activity snapshot job failed: ${String(error)}`);
        return 0;
      });
      if (written > 0) this.log.log(`activity snapshots written: ${written}`);
    }
  }
}
