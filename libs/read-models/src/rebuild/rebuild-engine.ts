import { randomUUID } from 'node:crypto';
import { type FeedEvent, type TickerChangeRecord, type TickerKind, toFeedEvent } from '@feedwerk/contracts';
import { type EventStore, type StoreCheckpoint, START } from '@feedwerk/event-store';
import { type DataSource, type EntityManager } from 'typeorm';
import {
  type ActivityEvent,
  type ActivityItem,
  ActivityModel,
  type ActivityOptions,
  type ChangeSink,
  DEFAULT_BURST_WINDOW_MS,
  toChangeRecord,
} from '../activity/activity.fold';
import {
  loadWholeActivityState,
  mergeStagedVersions,
  pruneActivityModel,
  type RebuiltActivity,
  saveRebuiltActivity,
} from '../activity/activity.projection';
import { readActivityEvents } from '../activity/activity.reader';
import { copySupported } from '../activity/bulk-copy';
import {
  activityTables,
  addGenerationIndexes,
  createGeneration,
  dropGeneration,
  type GenerationalProjection,
  jobsTables,
  tablesOf,
} from '../generations/generations';
import { JobsProjection } from '../jobs/jobs.projection';

export type RebuildStatus = 'building' | 'switching' | 'live' | 'cancelled' | 'failed' | 'retired';

/** A row of projection_rebuilds, typed. */
export interface RebuildRecord {
  readonly id: string;
  readonly projection: GenerationalProjection;
  readonly generation: number;
  readonly status: RebuildStatus;
  readonly requestedBy: string;
  readonly requestedAt: Date;
  readonly finishedAt: Date | null;
  readonly checkpoint: StoreCheckpoint;
  readonly done: number;
  readonly total: number;
  readonly eventsPerSecond: number;
  readonly error: string | null;
  readonly cancelRequested: boolean;
}

interface RebuildDbRow {
  id: string;
  projection: GenerationalProjection;
  generation: number;
  status: RebuildStatus;
  requested_by: string;
  requested_at: Date;
  finished_at: Date | null;
  checkpoint_tx: string;
  checkpoint_pos: string;
  done: string;
  total: string;
  events_per_second: number;
  error: string | null;
  cancel_requested: boolean;
}

export const REBUILD_COLUMNS = `id, projection, generation, status, requested_by, requested_at, finished_at,
  checkpoint_tx, checkpoint_pos, done, total, events_per_second, error, cancel_requested`;

export const toRebuildRecord = (row: RebuildDbRow): RebuildRecord => ({
  id: row.id,
  projection: row.projection,
  generation: row.generation,
  status: row.status,
  requestedBy: row.requested_by,
  requestedAt: row.requested_at,
  finishedAt: row.finished_at,
  checkpoint: { transactionId: String(row.checkpoint_tx), globalPosition: Number(row.checkpoint_pos) },
  done: Number(row.done),
  total: Number(row.total),
  eventsPerSecond: row.events_per_second,
  error: row.error,
  cancelRequested: row.cancel_requested,
});

/** A second rebuild of a projection while one runs. */
export class RebuildRunningError extends Error {
  constructor(readonly projection: GenerationalProjection) {
    super(`a rebuild of ${projection} is already running`);
  }
}

/** What one step of a rebuild did. `busy`: another builder holds this projection right now. */
export type StepOutcome = 'continue' | 'live' | 'cancelled' | 'busy' | 'gone';

export interface RebuildEngineOptions extends Partial<ActivityOptions> {
  /** Events read from the store per batch (jobs: per transaction). */
  readonly batchSize?: number;
  /**
   * Activity: events folded in memory between two checkpoints (one transaction writes the state,
   * the checkpoint and the progress; a crash redoes at most this many events).
   */
  readonly checkpointEvery?: number;
  /**
   * Activity: the newest changes a rebuilt generation keeps in its change log (older ones are
   * never served: ActivityFeed.open answers a `since` before the retained log with a snapshot).
   */
  readonly retainChanges?: number;
}

/** Folded in memory after the builder's last checkpoint, not yet written. */
interface Unflushed {
  /** Where the fold stands (the next checkpoint). */
  end: StoreCheckpoint;
  /** Stored events folded since the checkpoint. */
  count: number;
  /** The last batch read was short: the fold reached the readable frontier. */
  atFrontier: boolean;
  /** The newest changes since the checkpoint (about retainChanges to twice that), with their causes. */
  changes: FoldedChanges;
  /** Each touched stream's last folded version. */
  touched: Map<string, number>;
  /** Streams whose first event (version 1) was folded since the checkpoint: no earlier write touched them. */
  born: Set<string>;
}

/** The builder's memory of a rebuild; valid only while the row's checkpoint is `checkpoint`. */
interface BuilderState {
  readonly projection: GenerationalProjection;
  /** The last checkpoint this builder committed (or loaded), and the events done up to it. */
  checkpoint: StoreCheckpoint;
  done: number;
  readonly model: ActivityModel | null;
  samples: { at: number; done: number }[];
  /** The next batch, read (and decoded) while the previous one was being folded or written. */
  next?: Promise<Decoded>;
  unflushed: Unflushed;
  /**
   * A checkpoint being written on another connection while the fold goes on (overlapped steps; at
   * most one at a time). Never rejects: a failure or a lost rebuild is left in `broken`.
   */
  writing?: Promise<void>;
  /** The overlapped write did not commit: this memory is ahead of the tables and must be dropped. */
  broken?: { readonly error?: unknown };
}

export interface StepOptions {
  /**
   * Activity: a due checkpoint is written on another connection while the next steps read and fold
   * on (the step returns before it commits; the next due checkpoint, the switch and a cancel wait
   * for it, and `settle` does). Off: a step returns once its checkpoint has committed.
   */
  readonly overlap?: boolean;
}

const emptyUnflushed = (end: StoreCheckpoint): Unflushed => ({
  end,
  count: 0,
  atFrontier: false,
  changes: new FoldedChanges(),
  touched: new Map(),
  born: new Set(),
});

/** A batch of the store, decoded for the projection being rebuilt. */
type Decoded =
  | {
      readonly projection: 'activity';
      /** Stored events read, decodable or not (they all advance the checkpoint). */
      readonly count: number;
      /** Only the fields the activity fold reads (see readActivityEvents). */
      readonly events: ActivityEvent[];
      /** Where the batch ends; unchanged when it is empty. */
      readonly end: StoreCheckpoint;
    }
  | {
      readonly projection: 'jobs';
      readonly count: number;
      readonly events: FeedEvent[];
      readonly end: StoreCheckpoint;
    };

const RATE_WINDOW_MS = 5_000;
/** A builder that committed a batch within this time keeps the rebuild; others leave it alone. */
const LEASE_SECONDS = 15;
const sameCheckpoint = (a: StoreCheckpoint, b: StoreCheckpoint) =>
  a.transactionId === b.transactionId && a.globalPosition === b.globalPosition;

/**
 * Blue/green rebuilds of a projection: folds the whole store, in commit order, into a new
 * generation's tables beside the live one, then switches the live pointer in one transaction.
 *
 * - One builder per projection at a time: every batch takes a transaction-level advisory lock and
 *   the rebuild's row FOR UPDATE (no session lock, so it also works on PGlite's single connection).
 * - Every batch commits its effect, its store checkpoint and its progress together: after a crash
 *   the next builder continues from the checkpoint. The fold's state is kept in memory between
 *   batches (this builder is the generation's only writer); when the checkpoint in the row is not
 *   the one it remembers (another process built meanwhile, or it just started), it reloads the
 *   state from the tables.
 * - The switch: see `switchOver`, and docs/decisions.md for why nothing is missed or doubled.
 */
export class RebuildEngine {
  private readonly options: ActivityOptions;
  private readonly batchSize: number;
  private readonly checkpointEvery: number;
  private readonly retainChanges: number;
  private readonly states = new Map<string, BuilderState>();
  private readonly jobs: JobsProjection;
  /** Whether the database takes COPY FROM STDIN (see copySupported); asked at the first write. */
  private copy?: boolean;
  /** This builder's identity for the lease (several admin processes may run builders). */
  private readonly builderId = randomUUID();

  constructor(
    private readonly db: DataSource,
    private readonly store: EventStore,
    options: RebuildEngineOptions = {},
  ) {
    this.options = { burstWindowMs: options.burstWindowMs ?? DEFAULT_BURST_WINDOW_MS };
    this.batchSize = options.batchSize ?? 10_000;
    this.checkpointEvery = options.checkpointEvery ?? 200_000;
    this.retainChanges = options.retainChanges ?? 10_000;
    this.jobs = new JobsProjection(db, store);
  }

  /**
   * Registers a rebuild of `projection` (status `building`, generation = the highest known + 1).
   * Runs in `tx` when given, so the caller can record the request in the same transaction.
   * Throws RebuildRunningError when one is already building.
   */
  async request(
    projection: GenerationalProjection,
    id: string,
    requestedBy: string,
    tx: EntityManager = this.db.manager,
  ): Promise<RebuildRecord> {
    const running: { id: string }[] = await tx.query(
      `SELECT id FROM projection_rebuilds WHERE projection = $1 AND status IN ('building', 'switching')`,
      [projection],
    );
    if (running.length > 0) throw new RebuildRunningError(projection);
    try {
      const rows: RebuildDbRow[] = await tx.query(
        `INSERT INTO projection_rebuilds (id, projection, generation, status, requested_by)
         SELECT $1, $2, GREATEST(
                  (SELECT generation FROM projection_live WHERE projection = $2),
                  (SELECT max(generation) FROM projection_rebuilds WHERE projection = $2)) + 1,
                'building', $3
         RETURNING ${REBUILD_COLUMNS}`,
        [id, projection, requestedBy],
      );
      return toRebuildRecord(rows[0]!);
    } catch (error) {
      // Two requests raced past the check: the partial unique index lets only one in.
      const code = (error as { driverError?: { code?: string } }).driverError?.code;
      if (code === '23505') throw new RebuildRunningError(projection);
      throw error;
    }
  }

  /** Asks a building rebuild to stop; the builder drops its tables at its next batch. */
  async requestCancel(id: string, tx: EntityManager = this.db.manager): Promise<RebuildRecord | null> {
    const rows: RebuildDbRow[] = await tx.query(
      `UPDATE projection_rebuilds SET cancel_requested = true, updated_at = now()
        WHERE id = $1 AND status = 'building' AND NOT cancel_requested
        RETURNING ${REBUILD_COLUMNS}`,
      [id],
    );
    // TypeORM answers an UPDATE … RETURNING with [rows, count].
    const updated = (rows as unknown as [RebuildDbRow[], number])[0];
    return updated[0] ? toRebuildRecord(updated[0]) : null;
  }

  async find(id: string): Promise<RebuildRecord | null> {
    const rows: RebuildDbRow[] = await this.db.query(
      `SELECT ${REBUILD_COLUMNS} FROM projection_rebuilds WHERE id = $1`,
      [id],
    );
    return rows[0] ? toRebuildRecord(rows[0]) : null;
  }

  /** Rebuilds a builder should work on, oldest first. */
  async pending(manager: EntityManager = this.db.manager): Promise<RebuildRecord[]> {
    const rows: RebuildDbRow[] = await manager.query(
      `SELECT ${REBUILD_COLUMNS} FROM projection_rebuilds
        WHERE status IN ('building', 'switching') ORDER BY requested_at`,
    );
    return rows.map(toRebuildRecord);
  }

  /** Events in the store after `checkpoint`: what is left to fold (the store keeps growing). */
  async remaining(checkpoint: StoreCheckpoint): Promise<number> {
    const rows: { n: string }[] = await this.db.query(
      `SELECT count(*) AS n FROM events WHERE (transaction_id, global_position) > ($1::bigint, $2::bigint)`,
      [checkpoint.transactionId, checkpoint.globalPosition],
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** Marks a rebuild failed (the builder gave up on it) and drops its tables. */
  async fail(id: string, error: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const row = await this.lockRow(tx, id);
      if (!row || (row.status !== 'building' && row.status !== 'switching')) return;
      await dropGeneration(tx, row.projection, row.generation);
      await tx.query(
        `UPDATE projection_rebuilds SET status = 'failed', error = $2, finished_at = now(), updated_at = now()
          WHERE id = $1`,
        [id, error.slice(0, 2_000)],
      );
    });
    this.states.delete(id);
  }

  /** Runs a rebuild to its end (live or cancelled) in this process, checkpoints overlapped with the fold. */
  async run(id: string, onStep?: (outcome: StepOutcome) => void | Promise<void>): Promise<StepOutcome> {
    try {
      for (;;) {
        const outcome = await this.step(id, { overlap: true });
        await onStep?.(outcome);
        if (outcome !== 'continue') return outcome;
      }
    } finally {
      await this.settle();
    }
  }

  /** Waits for the checkpoint writes in flight (overlapped steps), e.g. before the process stops. */
  async settle(): Promise<void> {
    await Promise.all([...this.states.values()].flatMap((state) => (state.writing ? [state.writing] : [])));
  }

  /**
   * One step. Activity, between checkpoints: reads the next batch and folds it in memory only (the
   * builder is its generation's only writer until the switch). Otherwise one transaction: cancel if
   * asked; on the first batch drop older retired generations and create the new tables; write what
   * was folded since the last checkpoint (activity) or fold the next batch (jobs), with the
   * checkpoint and the progress; when the fold reached the readable frontier, switch over in the
   * same transaction.
   */
  async step(id: string, { overlap = false }: StepOptions = {}): Promise<StepOutcome> {
    try {
      let state = this.states.get(id);
      if (state) await this.settleWrite(id, state, overlap ? 'finished' : 'wait');
      state = this.states.get(id);
      let due: 'write' | 'decide' = 'decide';
      if (state?.model && !state.unflushed.atFrontier && state.unflushed.count < this.checkpointEvery) {
        const folded = await this.foldInMemory(id, state);
        if (folded === 'continue') return 'continue';
        due = folded;
      }
      state = this.states.get(id);
      if (overlap && due === 'write' && state) {
        // At most one write in flight: the previous one must have committed before this one starts.
        await this.settleWrite(id, state, 'wait');
        if (this.states.get(id) === state) {
          this.startWrite(id, state);
          return 'continue';
        }
      }
      if (state) await this.settleWrite(id, state, 'wait');
      return await this.stepOnce(id);
    } catch (error) {
      // The fold mutated the memory before the batch rolled back: rebuild it from the tables.
      this.states.delete(id);
      throw error;
    }
  }

  /**
   * Takes in the result of an overlapped write: `wait` for it, or look only if it `finished`. A
   * write that did not commit leaves memory ahead of the tables: it is dropped (the next checkpoint
   * transaction reloads from them), and a failure is thrown like a failed batch.
   */
  private async settleWrite(id: string, state: BuilderState, how: 'wait' | 'finished'): Promise<void> {
    if (how === 'wait' && state.writing) await state.writing;
    if (!state.broken) return;
    if (this.states.get(id) === state) this.states.delete(id);
    const { error } = state.broken;
    if (error !== undefined)
      throw error instanceof Error ? error : new Error('the checkpoint write failed', { cause: error });
  }

  /**
   * Starts writing what was folded since the checkpoint on another connection; the fold goes on in
   * memory meanwhile. What is written is taken out of the model now (the dirty sets start empty
   * again), so the write sees one consistent cut, and the checkpoint it records is that cut's end.
   */
  private startWrite(id: string, state: BuilderState): void {
    const model = state.model!;
    const u = state.unflushed;
    const folded: RebuiltActivity = {
      dirty: model.takeDirty(),
      position: model.position,
      ...u.changes.newest(this.retainChanges),
      touched: u.touched,
      born: u.born,
    };
    const from = state.checkpoint;
    const doneBefore = state.done;
    pruneActivityModel(model);
    state.unflushed = emptyUnflushed(u.end);
    // Usually read already, while the last batch was folded (foldInMemory).
    if (!state.next) {
      state.next = this.readDecoded(state.projection, u.end);
      state.next.catch(() => undefined);
    }
    const end = u.end;
    state.writing = this.writeCheckpoint(id, state.samples, folded, from, doneBefore, u.count, end).then(
      (written) => {
        state.writing = undefined;
        if (!written) {
          state.broken = {};
          return;
        }
        state.checkpoint = end;
        state.done = doneBefore + u.count;
        state.samples = written.samples;
      },
      (error: unknown) => {
        state.writing = undefined;
        state.broken = { error };
      },
    );
  }

  /**
   * One overlapped checkpoint: the same locks, lease and checks as `stepOnce`, and the write only
   * when the row still stands at the checkpoint this builder committed last (`from`). False when it
   * did not write (cancel asked, another builder, gone): the next step's transaction decides.
   */
  private async writeCheckpoint(
    id: string,
    previous: readonly { at: number; done: number }[],
    folded: RebuiltActivity,
    from: StoreCheckpoint,
    doneBefore: number,
    count: number,
    end: StoreCheckpoint,
  ): Promise<{ samples: { at: number; done: number }[] } | null> {
    return this.db.transaction('READ COMMITTED', async (tx) => {
      await tx.query(`SET LOCAL synchronous_commit = off`);
      const row = await this.lockRow(tx, id);
      if (!row || row.status !== 'building' || row.cancelRequested) return null;
      // The row must stand where this builder's last commit left it (the write follows that one).
      if (!sameCheckpoint(row.checkpoint, from) || row.done !== doneBefore) return null;
      if (!(await this.lockProjection(tx, row.projection))) return null;
      if (!(await this.holdsLease(tx, id))) return null;
      await saveRebuiltActivity(
        tx,
        activityTables(row.generation),
        folded,
        this.retainChanges,
        'checkpoint',
        await this.copySupported(tx),
      );
      const done = doneBefore + count;
      const { rate, samples } = rateOf(previous, done);
      await this.recordProgress(tx, id, end, done, rate, 'building');
      return { samples };
    });
  }

  /**
   * Folds the next batch into the builder's memory, no transaction. `write`: enough is folded for
   * a checkpoint; `decide`: the frontier is reached, a cancel was asked or the rebuild is no longer
   * this builder's (the next checkpoint transaction decides what happens).
   */
  private async foldInMemory(id: string, state: BuilderState): Promise<'continue' | 'write' | 'decide'> {
    // Keeps this builder's lease between checkpoints (they can be further apart than the lease) and
    // looks at the status and the cancel flag; the checkpoint transaction checks both again under
    // lock. While a checkpoint is being written it holds the row: a plain read then (the write
    // renews the lease when it commits).
    const rows: { status: RebuildStatus; cancel_requested: boolean }[] = state.writing
      ? await this.db.query(
          `SELECT status, cancel_requested FROM projection_rebuilds WHERE id = $1 AND builder = $2`,
          [id, this.builderId],
        )
      : (
          await this.db.query<[{ status: RebuildStatus; cancel_requested: boolean }[], number]>(
            `UPDATE projection_rebuilds SET heartbeat_at = now() WHERE id = $1 AND builder = $2
             RETURNING status, cancel_requested`,
            [id, this.builderId],
          )
        )[0];
    if (!rows[0] || (rows[0].status !== 'building' && rows[0].status !== 'switching')) {
      // Gone, finished, or another builder holds the rebuild now: the checkpoint transaction decides.
      this.states.delete(id);
      return 'decide';
    }
    if (rows[0].cancel_requested) return 'decide';
    const batch = await (state.next ?? this.readDecoded(state.projection, state.unflushed.end));
    // The next batch is read (PostgreSQL busy) while this one is folded (Node busy): at most one read
    // in flight, and only after a full batch (a short one is the frontier: the checkpoint
    // transaction reads on from there under its locks). The store's rows are immutable and the read
    // is the commit-ordered prefix after this batch's end, so it is the batch the next step folds;
    // a checkpoint (overlapped or not) goes on from the same end and takes it over.
    state.next = batch.count >= this.batchSize ? this.readDecoded(state.projection, batch.end) : undefined;
    state.next?.catch(() => undefined);
    this.foldIntoMemory(state, batch);
    if (state.unflushed.atFrontier || state.unflushed.count >= this.checkpointEvery) {
      return state.unflushed.atFrontier ? 'decide' : 'write';
    }
    return 'continue';
  }

  private foldIntoMemory(state: BuilderState, batch: Decoded): void {
    if (batch.projection !== 'activity') throw new Error('only the activity rebuild folds in memory');
    const u = state.unflushed;
    u.end = batch.end;
    u.count += batch.count;
    u.atFrontier = batch.count < this.batchSize;
    const model = state.model!;
    const changes = u.changes;
    for (const event of batch.events) {
      changes.cause = event.id;
      model.applyInto(event, changes);
      u.touched.set(event.streamId, event.streamPosition);
      // A stream's first event precedes its others in commit order (its version 1 commits first).
      if (event.streamPosition === 1) u.born.add(event.streamId);
    }
    changes.keepNewest(this.retainChanges);
  }

  private async stepOnce(id: string): Promise<StepOutcome> {
    let committed: BuilderState | undefined;
    const outcome = await this.db.transaction('READ COMMITTED', async (tx): Promise<StepOutcome> => {
      // Safe to lose on a server crash: the checkpoint commits with the effect, so a lost tail is redone.
      await tx.query(`SET LOCAL synchronous_commit = off`);
      const row = await this.lockRow(tx, id);
      if (!row) return 'gone';
      if (row.status !== 'building' && row.status !== 'switching') return 'gone';
      if (!(await this.lockProjection(tx, row.projection))) return 'busy';
      if (row.cancelRequested) {
        await dropGeneration(tx, row.projection, row.generation);
        await tx.query(
          `UPDATE projection_rebuilds SET status = 'cancelled', finished_at = now(), updated_at = now() WHERE id = $1`,
          [id],
        );
        return 'cancelled';
      }
      if (!(await this.holdsLease(tx, id))) return 'busy';
      let state = this.states.get(id);
      if (!state || !sameCheckpoint(state.checkpoint, row.checkpoint) || state.done !== row.done) {
        state = await this.prepare(tx, row);
      }
      const activity = row.projection === 'activity';
      const u = state.unflushed;
      if (activity) {
        // Nothing folded yet (just prepared, or a cancel check came first): fold one batch here.
        if (u.count === 0) {
          const batch = await (state.next ?? this.readDecoded(row.projection, u.end, tx));
          state.next = undefined;
          this.foldIntoMemory(state, batch);
        }
      } else {
        const batch = await (state.next ?? this.readDecoded(row.projection, u.end, tx));
        state.next = undefined;
        if (batch.projection !== 'jobs') throw new Error('a jobs rebuild read an activity batch');
        u.end = batch.end;
        u.count = batch.count;
        u.atFrontier = batch.count < this.batchSize;
        await this.jobs.applyIn(tx, jobsTables(row.generation), batch.events);
      }
      let status: RebuildStatus = 'building';
      if (u.atFrontier) {
        if (activity) {
          // The bulk is written, and indexed, before the live row is locked: the live projector
          // waits only for the catch-up below.
          await this.writeActivity(tx, row, state, 'checkpoint');
          await mergeStagedVersions(tx, activityTables(row.generation));
          const live: { generation: number }[] = await tx.query(
            `SELECT generation FROM projection_live WHERE projection = $1`,
            [row.projection],
          );
          await addGenerationIndexes(tx, row.projection, live[0]!.generation, row.generation);
        }
        await this.switchOver(tx, row, async () => {
          for (;;) {
            const more = await this.readDecoded(row.projection, u.end, tx);
            if (more.projection === 'activity') this.foldIntoMemory(state, more);
            else {
              u.end = more.end;
              u.count += more.count;
              await this.jobs.applyIn(tx, jobsTables(row.generation), more.events);
            }
            if (more.count < this.batchSize) break;
          }
          if (activity) await this.writeActivity(tx, row, state, 'direct');
        });
        status = 'live';
      } else if (activity) {
        await this.writeActivity(tx, row, state, 'checkpoint');
      }
      const done = row.done + u.count;
      const { rate, samples } = rateOf(state.samples, done);
      await this.recordProgress(tx, id, u.end, done, rate, status);
      committed = {
        projection: row.projection,
        checkpoint: u.end,
        done,
        model: state.model,
        samples,
        unflushed: emptyUnflushed(u.end),
        // Read while the last batch was folded (foldInMemory), from u.end: the next step's batch.
        next: state.next,
      };
      return status === 'live' ? 'live' : 'continue';
    });
    if (outcome === 'continue' && committed) {
      if (committed.model) pruneActivityModel(committed.model);
      // Read the next batch while this one is folded or written: the store's rows are immutable and
      // the read is a commit-ordered prefix after the checkpoint, so it is the batch the next step reads.
      if (!committed.next) {
        committed.next = this.readDecoded(committed.projection, committed.checkpoint);
        committed.next.catch(() => undefined);
      }
      this.states.set(id, committed);
    } else {
      // Done, or someone else holds the rebuild (whatever this builder folded is not its to write).
      this.states.delete(id);
    }
    return outcome;
  }

  /**
   * Writes what the builder folded since its checkpoint: the changed items, slots and members, the
   * versions of the streams read since then, the feed position, and the newest `retainChanges` changes of the log
   * (older ones are deleted, so the retained log stays gapless up to the head).
   */
  private async writeActivity(
    tx: EntityManager,
    row: RebuildRecord,
    state: BuilderState,
    versions: 'checkpoint' | 'direct',
  ): Promise<void> {
    const u = state.unflushed;
    const model = state.model!;
    const folded: RebuiltActivity = {
      dirty: model.takeDirty(),
      position: model.position,
      ...u.changes.newest(this.retainChanges),
      touched: u.touched,
      born: u.born,
    };
    await saveRebuiltActivity(
      tx,
      activityTables(row.generation),
      folded,
      this.retainChanges,
      versions,
      await this.copySupported(tx),
    );
    // Written: a second write in this transaction (the switch's catch-up) adds only what follows.
    u.changes = new FoldedChanges();
    u.touched = new Map();
    u.born = new Set();
  }

  /**
   * Points the live generation at the new one, atomically. Locking the projection_live row FOR
   * UPDATE waits for the live projector's in-flight batch (it holds the row FOR SHARE) and holds
   * back its next one; `catchUp` then folds (and writes) every event up to the readable frontier.
   * The new feed's history is not published again (ticker clients resync instead), and the previous
   * live generation is retired (its tables stay until the next rebuild of the projection starts).
   */
  private async switchOver(
    tx: EntityManager,
    row: RebuildRecord,
    catchUp: () => Promise<void>,
  ): Promise<void> {
    await tx.query(`SELECT generation FROM projection_live WHERE projection = $1 FOR UPDATE`, [
      row.projection,
    ]);
    await catchUp();
    await tx.query(`UPDATE projection_live SET generation = $2, since = now() WHERE projection = $1`, [
      row.projection,
      row.generation,
    ]);
    if (row.projection === 'activity') {
      await tx.query(
        `UPDATE projection_state SET published_position = feed_position, updated_at = now() WHERE projection = $1`,
        [tablesOf('activity', row.generation).key],
      );
    }
    await tx.query(
      `UPDATE projection_rebuilds SET status = 'retired', updated_at = now()
        WHERE projection = $1 AND status = 'live'`,
      [row.projection],
    );
  }

  /** Memory for a rebuild at its row's checkpoint: fresh tables on the first batch, else reloaded. */
  private async prepare(tx: EntityManager, row: RebuildRecord): Promise<BuilderState> {
    const fresh = sameCheckpoint(row.checkpoint, START) && row.done === 0;
    if (fresh) {
      const live: { generation: number }[] = await tx.query(
        `SELECT generation FROM projection_live WHERE projection = $1`,
        [row.projection],
      );
      const liveGeneration = live[0]!.generation;
      // Retired generations' tables are kept until now, so readers in flight on them never fail.
      for (let g = 1; g < row.generation; g += 1) {
        if (g !== liveGeneration) await dropGeneration(tx, row.projection, g);
      }
      await dropGeneration(tx, row.projection, row.generation);
      // Activity loads its tables in bulk: indexes are added just before the switch.
      await createGeneration(
        tx,
        row.projection,
        liveGeneration,
        row.generation,
        row.projection === 'activity',
      );
    }
    const base = {
      projection: row.projection,
      checkpoint: row.checkpoint,
      done: row.done,
      samples: [],
      unflushed: emptyUnflushed(row.checkpoint),
    };
    if (row.projection !== 'activity') return { ...base, model: null };
    const t = activityTables(row.generation);
    const position: { feed_position: string }[] = await tx.query(
      `SELECT feed_position FROM projection_state WHERE projection = $1`,
      [t.name],
    );
    const model = new ActivityModel(this.options, Number(position[0]?.feed_position ?? 0));
    if (!fresh) await loadWholeActivityState(tx, t, model);
    return { ...base, model };
  }

  private async readDecoded(
    projection: GenerationalProjection,
    from: StoreCheckpoint,
    tx?: EntityManager,
  ): Promise<Decoded> {
    if (projection === 'activity') {
      return { projection, ...(await readActivityEvents(this.store, from, this.batchSize, tx)) };
    }
    const stored = await this.store.readAll(from, this.batchSize, tx);
    const last = stored.at(-1);
    return {
      projection,
      count: stored.length,
      events: decodable(stored),
      end: last ? { transactionId: last.transactionId, globalPosition: last.globalPosition } : from,
    };
  }

  /** COPY for the bulk rows: asked once (a server, not the embedded PGlite). */
  private async copySupported(tx: EntityManager): Promise<boolean> {
    this.copy ??= await copySupported(tx);
    return this.copy;
  }

  /** One builder per projection: a transaction-level lock (no session lock, so PGlite works too). */
  private async lockProjection(tx: EntityManager, projection: GenerationalProjection): Promise<boolean> {
    const locked: { ok: boolean }[] = await tx.query(
      `SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS ok`,
      [`feedwerk-rebuild:${projection}`],
    );
    return locked[0]?.ok === true;
  }

  /**
   * False when another process built a batch moments ago: it holds the fold in memory, so it goes
   * on (taking turns would make each reload the state from the tables). Its lease lapses if it crashed.
   */
  private async holdsLease(tx: EntityManager, id: string): Promise<boolean> {
    const lease: { builder: string | null; fresh: boolean }[] = await tx.query(
      `SELECT builder, heartbeat_at > now() - make_interval(secs => $2) AS fresh
         FROM projection_rebuilds WHERE id = $1`,
      [id, LEASE_SECONDS],
    );
    return !(lease[0]?.fresh && lease[0].builder !== this.builderId);
  }

  /** The checkpoint, progress and lease, committed with the effect they describe. */
  private async recordProgress(
    tx: EntityManager,
    id: string,
    end: StoreCheckpoint,
    done: number,
    rate: number,
    status: RebuildStatus,
  ): Promise<void> {
    await tx.query(
      `UPDATE projection_rebuilds SET checkpoint_tx = $2, checkpoint_pos = $3, done = $4, events_per_second = $5,
         status = $6, total = CASE WHEN $6 = 'live' THEN $4 ELSE total END,
         finished_at = CASE WHEN $6 = 'live' THEN now() ELSE finished_at END, updated_at = now(),
         builder = $7, heartbeat_at = now()
       WHERE id = $1`,
      [id, end.transactionId, end.globalPosition, done, rate, status, this.builderId],
    );
  }

  private async lockRow(tx: EntityManager, id: string): Promise<RebuildRecord | null> {
    const rows: RebuildDbRow[] = await tx.query(
      `SELECT ${REBUILD_COLUMNS} FROM projection_rebuilds WHERE id = $1 FOR UPDATE`,
      [id],
    );
    return rows[0] ? toRebuildRecord(rows[0]) : null;
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

/** Events per second over the last RATE_WINDOW_MS, with the samples to keep. */
function rateOf(
  previous: readonly { at: number; done: number }[],
  done: number,
): { rate: number; samples: { at: number; done: number }[] } {
  const now = Date.now();
  // Checkpoints can be further apart than the window: then the rate is since the previous one.
  const all = [...previous, { at: now, done }];
  const recent = all.filter((s) => now - s.at <= RATE_WINDOW_MS);
  const samples = recent.length >= 2 ? recent : all.slice(-2);
  const first = samples[0]!;
  const rate = now > first.at ? ((done - first.done) * 1000) / (now - first.at) : 0;
  return { rate, samples };
}

/**
 * The events a projection can fold. An event that cannot be decoded is what the live projectors
 * dead-letter; the rebuild skips it the same way, so both generations agree.
 */
function decodable(stored: readonly Parameters<typeof toFeedEvent>[0][]): FeedEvent[] {
  const events: FeedEvent[] = [];
  for (const event of stored) {
    try {
      events.push(toFeedEvent(event));
    } catch {
      // See above: skipped like the live projection's dead letters.
    }
  }
  return events;
}
