import { type EventStore, START, type StoreCheckpoint } from '@feedwerk/event-store';
import { type DataSource } from 'typeorm';
import { liveGeneration } from '../generations/generations';
import { readActivityEvents } from './activity.decoder';
import { ActivityModel, type ActivityOptions, type ChangeSink } from './activity.fold';
import { pruneActivityModel } from './activity.rebuild-store';
import { SegmentCounter, SnapshotDelta } from './activity.snapshot-delta';
import { loadSnapshotState, reviveErased } from './activity.snapshot-reads';
import {
  anonymizeErased,
  dropSnapshots,
  newestSnapshot,
  SNAPSHOT_PROJECTION,
  writeActivitySnapshot,
} from './activity.snapshot-store';

/** The fold's changes are not needed here: only the state is snapshotted. */
const IGNORE: ChangeSink = { change: () => undefined };

interface Fold {
  readonly generation: number;
  /** The snapshot the model was loaded from or last wrote (null: none, from position 0). */
  after: number | null;
  end: StoreCheckpoint;
  readonly model: ActivityModel;
  readonly counter: SegmentCounter;
}

/**
 * Keeps the live generation's snapshots going: folds the store in commit order from the newest
 * snapshot (as a rebuild does, in memory, pruned) and writes one every `every` events. Not the live
 * projector's job: it applies events in the transport's order, and a snapshot must stand at a point
 * of the store's commit order to be exact (docs/decisions.md). An erasure it reads is taken out of
 * every snapshot at once, not at the next snapshot.
 */
export class ActivitySnapshotJob {
  private fold: Fold | null = null;

  constructor(
    private readonly db: DataSource,
    private readonly store: EventStore,
    private readonly options: ActivityOptions & { readonly every: number; readonly batchSize?: number },
  ) {}

  /** Folds what the store has beyond the newest snapshot; returns the snapshots written. */
  async run(): Promise<number> {
    const fold = await this.prepare();
    const batchSize = this.options.batchSize ?? 5_000;
    let written = 0;
    for (;;) {
      const batch = await readActivityEvents(this.store, fold.end, batchSize);
      const erasures = new Map<string, string>();
      for (const event of batch.events) {
        fold.counter.observe(event);
        if (event.type === 'CandidateErased') {
          reviveErased(fold.model, event.id, event.data.candidateId);
          erasures.set(event.id, event.data.candidateId);
        }
        fold.model.applyInto(event, IGNORE);
      }
      fold.end = batch.end;
      if (erasures.size > 0) await this.db.transaction((tx) => anonymizeErased(tx, erasures));
      if (fold.counter.peek() >= this.options.every) {
        if (!(await this.snapshot(fold))) return written;
        written += 1;
      }
      if (batch.count < batchSize) return written;
    }
  }

  private async snapshot(fold: Fold): Promise<boolean> {
    const delta = new SnapshotDelta();
    delta.add(fold.model.takeDirty(), fold.counter.take());
    const header = await this.db.transaction((tx) =>
      writeActivitySnapshot(tx, fold.generation, delta, {
        checkpoint: fold.end,
        feedPosition: fold.model.position,
        after: fold.after,
      }),
    );
    if (!header) {
      // Another process wrote it: start again from the newest snapshot next time.
      this.fold = null;
      return false;
    }
    fold.after = header.seq;
    pruneActivityModel(fold.model);
    return true;
  }

  /** The fold at the live generation's newest snapshot: kept from the last run, or loaded. */
  private async prepare(): Promise<Fold> {
    const generation = await liveGeneration(this.db.manager, SNAPSHOT_PROJECTION, 'none');
    await this.dropStale(generation);
    const newest = await newestSnapshot(this.db.manager, generation);
    const kept = this.fold;
    if (kept && kept.generation === generation && kept.after === (newest?.seq ?? null)) return kept;
    const model = new ActivityModel(this.options, newest?.feedPosition ?? 0);
    if (newest) await loadSnapshotState(this.db.manager, generation, newest.seq, model, 'all');
    model.takeDirty();
    this.fold = {
      generation,
      after: newest?.seq ?? null,
      end: newest?.checkpoint ?? START,
      model,
      counter: new SegmentCounter(),
    };
    return this.fold;
  }

  /** Snapshots of generations neither live nor being built are of no use any more. */
  private async dropStale(live: number): Promise<void> {
    const rows: { generation: number }[] = await this.db.query(
      `SELECT DISTINCT generation FROM projection_snapshots
        WHERE projection = $1 AND generation <> $2
          AND generation NOT IN (SELECT generation FROM projection_rebuilds
                                  WHERE projection = $1 AND status IN ('building', 'switching'))`,
      [SNAPSHOT_PROJECTION, live],
    );
    if (rows.length > 0)
      await this.db.transaction((tx) =>
        dropSnapshots(
          tx,
          rows.map((r) => r.generation),
        ),
      );
  }
}
