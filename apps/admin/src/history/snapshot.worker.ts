import { Injectable } from '@nestjs/common';
import { PollingLoop } from '@feedwerk/platform';
import { ActivitySnapshotJob } from '@feedwerk/read-models';

const POLL_MS = 5_000;

/**
 * Runs the activity model's snapshot job: the live generation gets a snapshot every SNAPSHOT_EVERY
 * events, so the box at a time folds at most about that many. Several admin processes may run it:
 * a snapshot is written only on top of the one its fold started from (the others start over).
 */
@Injectable()
export class SnapshotWorker extends PollingLoop {
  constructor(private readonly job: ActivitySnapshotJob) {
    super({ name: SnapshotWorker.name, task: 'activity snapshot job', idleMs: POLL_MS });
  }

  /** One run of the job; it catches up to the store's head, so the loop then waits for the next poll. */
  protected async step(): Promise<boolean> {
    const written = await this.job.run();
    if (written > 0) this.log.log(`activity snapshots written: ${written}`);
    return false;
  }
}
