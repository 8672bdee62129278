import { randomUUID } from 'node:crypto';
import { type EventStore, type StoreCheckpoint, START } from '@feedwerk/event-store';
import { type DataSource, type EntityManager } from 'typeorm';
import { dropGeneration } from '../generations/generations';
import { startGeneration, switchLive } from '../generations/generation-switch';
import {
  type GenerationBuilder,
  type Projection,
  type ProjectionName,
  type Projections,
  type StoreBatch,
} from '../projection/projection';
import { rateOf, type RateSample } from './rebuild-rate';
import { type BuilderState, type Unflushed } from './rebuild-state';
import { type RebuildRecord, RebuildRecords, type RebuildStatus } from './rebuild-records';

/** What one step of a rebuild did. `busy`: another builder holds this projection right now. */
export type StepOutcome = 'continue' | 'live' | 'cancelled' | 'busy' | 'gone';

export interface RebuildEngineOptions {
  /** Events read from the store per batch. */
  readonly batchSize?: number;
  /**
   * Events folded in memory between two checkpoints (one transaction writes the state, the
   * checkpoint and the progress; a crash redoes at most this many events). A projection may ask
   * for fewer (`Projection.checkpointEvery`).
   */
  readonly checkpointEvery?: number;
}

export interface StepOptions {
  /**
   * A due checkpoint is written on another connection while the next steps read and fold on (the
   * step returns before it commits; the next due checkpoint, the switch and a cancel wait for it,
   * and `settle` does). Off: a step returns once its checkpoint has committed.
   */
  readonly overlap?: boolean;
}

const sameCheckpoint = (a: StoreCheckpoint, b: StoreCheckpoint) =>
  a.transactionId === b.transactionId && a.globalPosition === b.globalPosition;

/**
 * Blue/green rebuilds of any projection (see `Projection`): folds the whole store, in commit order,
 * into a new generation's tables beside the live one, then switches the live pointer in one transaction.
 *
 * - One builder per projection at a time: every batch takes a transaction-level advisory lock and
 *   the rebuild's row FOR UPDATE (no session lock, so it also works on PGlite's single connection).
 * - Every checkpoint commits its effect, its store checkpoint and its progress together: after a
 *   crash the next builder continues from the checkpoint. The fold's state is kept in memory between
 *   checkpoints (this builder is the generation's only writer); when the checkpoint in the row is
 *   not the one it remembers (another process built meanwhile, or it just started), the projection
 *   reloads it from the tables.
 * - The switch: see `switchOver`, and docs/decisions.md for why nothing is missed or doubled.
 */
export class RebuildEngine {
  private readonly batchSize: number;
  private readonly checkpointEvery: number;
  private readonly states = new Map<string, BuilderState>();
  private readonly records = new RebuildRecords();
  /** This builder's identity for the lease (several admin processes may run builders). */
  private readonly builderId = randomUUID();

  constructor(
    private readonly db: DataSource,
    private readonly store: EventStore,
    private readonly projections: Projections,
    options: RebuildEngineOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 10_000;
    this.checkpointEvery = options.checkpointEvery ?? 200_000;
  }

  /**
   * Registers a rebuild of `projection` (status `building`, generation = the highest known + 1).
   * Runs in `tx` when given, so the caller can record the request in the same transaction.
   * Throws RebuildRunningError when one is already building.
   */
  request(
    projection: ProjectionName,
    id: string,
    requestedBy: string,
    tx: EntityManager = this.db.manager,
  ): Promise<RebuildRecord> {
    this.projectionOf(projection);
    return this.records.request(tx, projection, id, requestedBy);
  }

  /** Asks a building rebuild to stop; the builder drops its tables at its next batch. */
  requestCancel(id: string, tx: EntityManager = this.db.manager): Promise<RebuildRecord | null> {
    return this.records.requestCancel(tx, id);
  }

  find(id: string): Promise<RebuildRecord | null> {
    return this.records.find(this.db.manager, id);
  }

  /** Rebuilds a builder should work on, oldest first. */
  pending(manager: EntityManager = this.db.manager): Promise<RebuildRecord[]> {
    return this.records.pending(manager);
  }

  /** Events in the store after `checkpoint`: what is left to fold (the store keeps growing). */
  remaining(checkpoint: StoreCheckpoint): Promise<number> {
    return this.store.countAfter(checkpoint);
  }

  /** Marks a rebuild failed (the builder gave up on it) and drops its tables. */
  async fail(id: string, error: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const row = await this.records.find(tx, id, 'update');
      if (!row || (row.status !== 'building' && row.status !== 'switching')) return;
      await dropGeneration(tx, this.projectionOf(row.projection), row.generation);
      await this.records.finish(tx, id, 'failed', error);
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
   * One step. Between checkpoints: reads the next batch and folds it in memory only (the builder is
   * its generation's only writer until the switch). Otherwise one transaction: cancel if asked; on
   * the first batch drop older retired generations and create the new tables; write what was
   * folded since the last checkpoint, with the checkpoint and the progress; when the fold reached
   * the readable frontier, switch over in the same transaction.
   */
  async step(id: string, { overlap = false }: StepOptions = {}): Promise<StepOutcome> {
    try {
      let state = this.states.get(id);
      if (state) await this.settleWrite(id, state, overlap ? 'finished' : 'wait');
      state = this.states.get(id);
      let due: 'write' | 'decide' = 'decide';
      if (state && !state.unflushed.atFrontier && state.unflushed.count < this.flushEvery(state.projection)) {
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

  private projectionOf(name: ProjectionName): Projection {
    const projection = this.projections[name];
    if (!projection) throw new Error(`no projection ${name} is registered with the rebuild engine`);
    return projection;
  }

  private flushEvery(projection: Projection): number {
    return Math.min(projection.checkpointEvery ?? this.checkpointEvery, this.checkpointEvery);
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
   * memory meanwhile. The cut is taken now, so the write sees one consistent cut, and the
   * checkpoint it records is that cut's end.
   */
  private startWrite(id: string, state: BuilderState): void {
    const u = state.unflushed;
    const cut = state.builder.cut();
    const from = state.checkpoint;
    const doneBefore = state.done;
    state.unflushed = { end: u.end, count: 0, atFrontier: false };
    // Usually read already, while the last batch was folded (foldInMemory).
    state.next ??= this.readAhead(state.builder, u.end);
    state.writing = this.writeCheckpoint(id, state, cut, from, doneBefore, u).then(
      (samples) => {
        state.writing = undefined;
        if (!samples) {
          state.broken = {};
          return;
        }
        state.checkpoint = u.end;
        state.done = doneBefore + u.count;
        state.samples = samples;
      },
      (error: unknown) => {
        state.writing = undefined;
        state.broken = { error };
      },
    );
  }

  /**
   * One overlapped checkpoint: the same locks, lease and checks as `stepOnce`, and the write only
   * when the row still stands at the checkpoint this builder committed last (`from`). Null when it
   * did not write (cancel asked, another builder, gone): the next step's transaction decides.
   */
  private async writeCheckpoint(
    id: string,
    state: BuilderState,
    cut: unknown,
    from: StoreCheckpoint,
    doneBefore: number,
    u: Unflushed,
  ): Promise<RateSample[] | null> {
    return this.db.transaction('READ COMMITTED', async (tx) => {
      await tx.query(`SET LOCAL synchronous_commit = off`);
      const row = await this.records.find(tx, id, 'update');
      if (!row || row.status !== 'building' || row.cancelRequested) return null;
      // The row must stand where this builder's last commit left it (the write follows that one).
      if (!sameCheckpoint(row.checkpoint, from) || row.done !== doneBefore) return null;
      if (!(await this.records.lockProjection(tx, row.projection))) return null;
      if (!(await this.records.holdsLease(tx, id, this.builderId))) return null;
      await state.builder.write(tx, cut, 'checkpoint');
      const done = doneBefore + u.count;
      const { rate, samples } = rateOf(state.samples, done);
      await this.records.recordProgress(tx, id, {
        end: u.end,
        done,
        rate,
        status: 'building',
        builder: this.builderId,
      });
      return samples;
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
    // lock. While a checkpoint is being written it holds the row: a plain read then.
    const row = await this.records.heartbeat(this.db.manager, id, this.builderId, !state.writing);
    if (!row || (row.status !== 'building' && row.status !== 'switching')) {
      // Gone, finished, or another builder holds the rebuild now: the checkpoint transaction decides.
      this.states.delete(id);
      return 'decide';
    }
    if (row.cancelRequested) return 'decide';
    const batch = await (state.next ?? state.builder.read(state.unflushed.end, this.batchSize));
    // The next batch is read (PostgreSQL busy) while this one is folded (Node busy): at most one read
    // in flight, and only after a full batch (a short one is the frontier: the checkpoint
    // transaction reads on from there under its locks). The store's rows are immutable and the read
    // is the commit-ordered prefix after this batch's end, so it is the batch the next step folds;
    // a checkpoint (overlapped or not) goes on from the same end and takes it over.
    state.next = batch.count >= this.batchSize ? this.readAhead(state.builder, batch.end) : undefined;
    this.fold(state, batch);
    const u = state.unflushed;
    if (u.atFrontier) return 'decide';
    return u.count >= this.flushEvery(state.projection) ? 'write' : 'continue';
  }

  private fold(state: BuilderState, batch: StoreBatch<unknown>): void {
    const u = state.unflushed;
    u.end = batch.end;
    u.count += batch.count;
    u.atFrontier = batch.count < this.batchSize;
    state.builder.fold(batch.events);
  }

  private readAhead(builder: GenerationBuilder, from: StoreCheckpoint): Promise<StoreBatch<unknown>> {
    const next = builder.read(from, this.batchSize);
    next.catch(() => undefined);
    return next;
  }

  private async stepOnce(id: string): Promise<StepOutcome> {
    let committed: BuilderState | undefined;
    const outcome = await this.db.transaction('READ COMMITTED', async (tx): Promise<StepOutcome> => {
      // Safe to lose on a server crash: the checkpoint commits with the effect, so a lost tail is redone.
      await tx.query(`SET LOCAL synchronous_commit = off`);
      const row = await this.records.find(tx, id, 'update');
      if (!row) return 'gone';
      if (row.status !== 'building' && row.status !== 'switching') return 'gone';
      const projection = this.projectionOf(row.projection);
      if (!(await this.records.lockProjection(tx, row.projection))) return 'busy';
      if (row.cancelRequested) {
        await dropGeneration(tx, projection, row.generation);
        await this.records.finish(tx, id, 'cancelled');
        return 'cancelled';
      }
      if (!(await this.records.holdsLease(tx, id, this.builderId))) return 'busy';
      let state = this.states.get(id);
      if (!state || !sameCheckpoint(state.checkpoint, row.checkpoint) || state.done !== row.done) {
        state = await this.prepare(tx, projection, row);
      }
      const { builder } = state;
      const u = state.unflushed;
      // Nothing folded yet (just prepared, or a cancel check came first): fold one batch here.
      if (u.count === 0) {
        const batch = await (state.next ?? builder.read(u.end, this.batchSize, tx));
        state.next = undefined;
        this.fold(state, batch);
      }
      await builder.write(tx, builder.cut(), 'checkpoint');
      let status: RebuildStatus = 'building';
      if (u.atFrontier) {
        await switchLive(tx, projection, builder, row.generation, async () => {
          for (;;) {
            const more = await builder.read(u.end, this.batchSize, tx);
            this.fold(state, more);
            if (more.count < this.batchSize) break;
          }
          await builder.write(tx, builder.cut(), 'switch');
        });
        await this.records.retireLive(tx, row.projection);
        status = 'live';
      }
      const done = row.done + u.count;
      const { rate, samples } = rateOf(state.samples, done);
      await this.records.recordProgress(tx, id, { end: u.end, done, rate, status, builder: this.builderId });
      committed = {
        projection,
        builder,
        checkpoint: u.end,
        done,
        samples,
        unflushed: { end: u.end, count: 0, atFrontier: false },
        // Read while the last batch was folded (foldInMemory), from u.end: the next step's batch.
        next: state.next,
      };
      return status === 'live' ? 'live' : 'continue';
    });
    if (outcome === 'continue' && committed) {
      // Read the next batch while this one is folded or written: the store's rows are immutable and
      // the read is a commit-ordered prefix after the checkpoint, so it is the batch the next step reads.
      committed.next ??= this.readAhead(committed.builder, committed.checkpoint);
      this.states.set(id, committed);
    } else {
      // Done, or someone else holds the rebuild (whatever this builder folded is not its to write).
      this.states.delete(id);
    }
    return outcome;
  }

  /** Memory for a rebuild at its row's checkpoint: fresh tables on the first batch, else reloaded. */
  private async prepare(
    tx: EntityManager,
    projection: Projection,
    row: RebuildRecord,
  ): Promise<BuilderState> {
    const fresh = sameCheckpoint(row.checkpoint, START) && row.done === 0;
    if (fresh) await startGeneration(tx, projection, row.generation);
    return {
      projection,
      builder: await projection.builder(tx, row.generation, !fresh),
      checkpoint: row.checkpoint,
      done: row.done,
      samples: [],
      unflushed: { end: row.checkpoint, count: 0, atFrontier: false },
    };
  }
}
