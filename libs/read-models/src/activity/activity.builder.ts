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
import { SegmentCounter, type SegmentStats, SnapshotDelta } from './activity.snapshot-delta';
import { writeActivitySnapshot } from './activity.snapshot-store';
import { type ActivityTables } from './activity.tables';

/** The fold's state changes between two points, and what its events were. */
interface Piece {
  readonly dirty: Dirty;
  readonly stats: SegmentStats;
  /** The feed position at the piece's end. */
  readonly position: number;
}

/** A snapshot point inside a cut: a piece and where in the store it ends. */
interface Stash extends Piece {
  readonly checkpoint: StoreCheckpoint;
}

/**
 * A cut: what the checkpoint writes (every piece's changes merged), the snapshot points taken on
 * the way (every SNAPSHOT_EVERY events) and the last piece, whose snapshot stands at the checkpoint.
 */
export interface ActivityCut extends RebuiltActivity {
  readonly stashes: readonly Stash[];
  readonly last: Piece;
}

/**
 * Where a builder's snapshots go: its generation, after which snapshot (null: none yet), or
 * nowhere when it resumed past its newest snapshot (the snapshot job goes on from that one once
 * the generation is live).
 */
export interface BuilderSnapshots {
  readonly generation: number;
  readonly every: number;
  readonly after: number | null;
  readonly enabled: boolean;
}

/**
 * Builds a generation of the activity projection: folds the store in memory (the model keeps only
 * the open aggregation state: items nothing points at any more are pruned at every cut), keeps the
 * newest `retainChanges` changes of the log, and writes each cut in bulk (COPY where the server
 * takes it) into the generation's unindexed tables.
 */
export class ActivityBuilder implements GenerationBuilder<ActivityEvent, ActivityCut> {
  private changes = new FoldedChanges();
  /** Each touched stream's last folded version since the last cut. */
  private touched = new Map<string, number>();
  /** Streams whose first event (version 1) was folded since the last cut: no earlier write touched them. */
  private born = new Set<string>();
  /** Whether the database takes COPY FROM STDIN (see copySupported); asked at the first write. */
  private copy?: boolean;
  private readonly counter = new SegmentCounter();
  /** Snapshot points folded since the last cut. */
  private stashes: Stash[] = [];
  /** The cut written last: its snapshots are taken in the same transaction (`snapshot`). */
  private written: ActivityCut | null = null;

  constructor(
    private readonly store: EventStore,
    private readonly t: ActivityTables,
    private readonly model: ActivityModel,
    private readonly retainChanges: number,
    private snapshots: BuilderSnapshots,
  ) {}

  read(from: StoreCheckpoint, limit: number, tx?: EntityManager): Promise<ActivityBatch> {
    return readActivityEvents(this.store, from, limit, tx);
  }

  fold(events: readonly ActivityEvent[], end?: StoreCheckpoint): void {
    const changes = this.changes;
    for (const event of events) {
      changes.cause = event.id;
      this.counter.observe(event);
      this.model.applyInto(event, changes);
      this.touched.set(event.streamId, event.streamPosition);
      // A stream's first event precedes its others in commit order (its version 1 commits first).
      if (event.streamPosition === 1) this.born.add(event.streamId);
    }
    changes.keepNewest(this.retainChanges);
    // A snapshot point at this batch's end: the changes so far go into it (and into the next cut).
    if (end !== undefined && this.snapshots.enabled && this.counter.peek() >= this.snapshots.every) {
      this.stashes.push({
        dirty: this.model.takeDirty(),
        stats: this.counter.take(),
        position: this.model.position,
        checkpoint: end,
      });
    }
  }

  /**
   * Takes the changed items, slots and members, the head, the newest changes and the touched
   * streams out of the model at one moment: items and members are replaced, never mutated, so the
   * taken objects stay as they are while the fold goes on.
   */
  cut(): ActivityCut {
    const last: Piece = {
      dirty: this.model.takeDirty(),
      stats: this.counter.take(),
      position: this.model.position,
    };
    const folded: ActivityCut = {
      dirty: mergeDirty([...this.stashes.map((s) => s.dirty), last.dirty]),
      stashes: this.stashes,
      last,
      position: this.model.position,
      ...this.changes.newest(this.retainChanges),
      touched: this.touched,
      born: this.born,
    };
    this.stashes = [];
    pruneActivityModel(this.model);
    this.changes = new FoldedChanges();
    this.touched = new Map();
    this.born = new Set();
    return folded;
  }

  async write(tx: EntityManager, cut: ActivityCut, mode: 'checkpoint' | 'switch'): Promise<void> {
    this.copy ??= await copySupported(tx);
    await saveRebuiltActivity(tx, this.t, cut, this.retainChanges, mode, this.copy);
    this.written = cut;
  }

  /**
   * The snapshots of the cut just written, in its transaction: one per snapshot point folded into
   * it, and one at its checkpoint, so a resumed builder always stands at its newest snapshot.
   */
  async snapshot(tx: EntityManager, at: StoreCheckpoint): Promise<void> {
    const cut = this.written;
    this.written = null;
    if (!cut || !this.snapshots.enabled) return;
    for (const piece of [...cut.stashes, { ...cut.last, checkpoint: at }]) {
      const delta = new SnapshotDelta();
      delta.add(piece.dirty, piece.stats);
      const header = await writeActivitySnapshot(tx, this.snapshots.generation, delta, {
        checkpoint: piece.checkpoint,
        feedPosition: piece.position,
        after: this.snapshots.after,
      });
      if (!header) {
        this.snapshots = { ...this.snapshots, enabled: false };
        return;
      }
      this.snapshots = { ...this.snapshots, after: header.seq };
    }
  }

  async ready(tx: EntityManager): Promise<void> {
    await mergeStagedVersions(tx, this.t);
  }
}

type Dirty = RebuiltActivity['dirty'];

/**
 * The changes of several pieces as one (a later value wins). A member is new to the write when it
 * had no value at the last write: in the first piece that touches it.
 */
function mergeDirty(pieces: readonly Dirty[]): Dirty {
  if (pieces.length === 1) return pieces[0]!;
  const items = new Map<string, Dirty['items'][number]>();
  const slots = new Map<string, string | null>();
  const members = new Map<string, Dirty['members'][number][1]>();
  const newMembers = new Set<string>();
  for (const piece of pieces) {
    for (const item of piece.items) items.set(item.id, item);
    for (const [key, value] of piece.slots) slots.set(key, value);
    for (const [key, value] of piece.members) {
      if (!members.has(key) && piece.newMembers.has(key)) newMembers.add(key);
      members.set(key, value);
    }
  }
  return { items: [...items.values()], slots: [...slots], members: [...members], newMembers };
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
