import { type TickerChangeRecord, type TickerKind } from '@feedwerk/contracts';
import { type EventStore, type StoreCheckpoint } from '@feedwerk/event-store';
import { type EntityManager } from 'typeorm';
import { type GenerationBuilder } from '../projection/projection';
import { copySupported } from './bulk-copy';
import { type ActivityBatch, readActivityEvents } from './activity.decoder';
import {
  type ActivityEvent,
  type ActivityItem,
  type ActivityModel,
  type ChangeSink,
  toChangeRecord,
} from './activity.fold';
import {
  mergeStagedVersions,
  pruneActivityModel,
  type RebuiltActivity,
  saveRebuiltActivity,
} from './activity.rebuild-store';
import { type ActivityTables } from './activity.tables';

/**
 * Builds a generation of the activity projection: folds the store in memory (the model keeps only
 * the open aggregation state: items nothing points at any more are pruned at every cut), keeps the
 * newest `retainChanges` changes of the log, and writes each cut in bulk (COPY where the server
 * takes it) into the generation's unindexed tables.
 */
export class ActivityBuilder implements GenerationBuilder<ActivityEvent, RebuiltActivity> {
  private changes = new FoldedChanges();
  /** Each touched stream's last folded version since the last cut. */
  private touched = new Map<string, number>();
  /** Streams whose first event (version 1) was folded since the last cut: no earlier write touched them. */
  private born = new Set<string>();
  /** Whether the database takes COPY FROM STDIN (see copySupported); asked at the first write. */
  private copy?: boolean;

  constructor(
    private readonly store: EventStore,
    private readonly t: ActivityTables,
    private readonly model: ActivityModel,
    private readonly retainChanges: number,
  ) {}

  read(from: StoreCheckpoint, limit: number, tx?: EntityManager): Promise<ActivityBatch> {
    return readActivityEvents(this.store, from, limit, tx);
  }

  fold(events: readonly ActivityEvent[]): void {
    const changes = this.changes;
    for (const event of events) {
      changes.cause = event.id;
      this.model.applyInto(event, changes);
      this.touched.set(event.streamId, event.streamPosition);
      // A stream's first event precedes its others in commit order (its version 1 commits first).
      if (event.streamPosition === 1) this.born.add(event.streamId);
    }
    changes.keepNewest(this.retainChanges);
  }

  /**
   * Takes the changed items, slots and members, the head, the newest changes and the touched
   * streams out of the model at one moment: items and members are replaced, never mutated, so the
   * taken objects stay as they are while the fold goes on.
   */
  cut(): RebuiltActivity {
    const folded: RebuiltActivity = {
      dirty: this.model.takeDirty(),
      position: this.model.position,
      ...this.changes.newest(this.retainChanges),
      touched: this.touched,
      born: this.born,
    };
    pruneActivityModel(this.model);
    this.changes = new FoldedChanges();
    this.touched = new Map();
    this.born = new Set();
    return folded;
  }

  async write(tx: EntityManager, cut: RebuiltActivity, mode: 'checkpoint' | 'switch'): Promise<void> {
    this.copy ??= await copySupported(tx);
    await saveRebuiltActivity(tx, this.t, cut, this.retainChanges, mode, this.copy);
  }

  async ready(tx: EntityManager): Promise<void> {
    await mergeStagedVersions(tx, this.t);
  }
}

/**
 * The changes a rebuild folds, kept as their parts (the model's item, the op, the previous kind) in
 * parallel arrays: a fold makes about one change per event, and only the newest `retainChanges` are
 * ever written, so records are built for those only (`newest`), not for every event.
 */
class FoldedChanges implements ChangeSink {
  private ops: TickerChangeRecord['op'][] = [];
  private items: ActivityItem[] = [];
  private previousKinds: (TickerKind | null)[] = [];
  private causes: string[] = [];
  /** The event being folded (set before each applyInto). */
  cause = '';

  change(op: TickerChangeRecord['op'], item: ActivityItem, previousKind: TickerKind | null): void {
    this.ops.push(op);
    this.items.push(item);
    this.previousKinds.push(previousKind);
    this.causes.push(this.cause);
  }

  /** Drops all but the newest `retain` now and then (amortised). */
  keepNewest(retain: number): void {
    if (this.ops.length <= 2 * retain) return;
    const drop = this.ops.length - retain;
    this.ops.splice(0, drop);
    this.items.splice(0, drop);
    this.previousKinds.splice(0, drop);
    this.causes.splice(0, drop);
  }

  /** The newest `retain` changes as records, with the events that caused them. */
  newest(retain: number): { changes: TickerChangeRecord[]; causes: string[] } {
    const from = Math.max(0, this.ops.length - retain);
    const changes: TickerChangeRecord[] = [];
    for (let i = from; i < this.ops.length; i += 1) {
      changes.push(toChangeRecord(this.ops[i]!, this.items[i]!, this.previousKinds[i]!));
    }
    return { changes, causes: this.causes.slice(from) };
  }
}
