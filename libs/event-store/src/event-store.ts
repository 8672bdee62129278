import { EventEmitter } from 'node:events';
import { type DataSource, type EntityManager } from 'typeorm';
import {
  type AppendHooks,
  Appender,
  type AppendManyRequest,
  type AppendOutcome,
  type AppendRequest,
} from './append';
import { StoreCheckpoints } from './checkpoints';
import { WrongExpectedVersionError } from './errors';
import { EventQueries } from './event-queries';
import { type EventRange, type RangeOrder } from './event-range';
import { EventReads } from './event-reads';
import { IdempotencyKeys } from './idempotency-keys';
import { type StoreCheckpoint, type StoredEvent } from './stored-event';

/** Emitted as `timed` on `EventStore.appended` after every append, whatever its outcome (metrics). */
export interface AppendTiming {
  readonly seconds: number;
  readonly outcome: 'appended' | 'replayed' | 'conflict' | 'failed';
}

/**
 * The event store on PostgreSQL, and the only code that queries its tables (`events`,
 * `idempotency_keys`, `store_checkpoints`). Guarantees:
 * - An append is atomic: all of its events (and `alsoWrite`) commit, or none.
 * - Optimistic concurrency: `(stream_id, stream_position)` is unique, so two appends decided on the
 *   same version cannot both commit; the loser gets WrongExpectedVersionError.
 * - Idempotency: one result per (scope, key); the same key with another fingerprint is refused.
 * - `readAll` returns every committed event exactly once in a stable commit order and never skips
 *   an event whose transaction commits late (it reads only below the oldest running transaction).
 * Each concern lives in its own file (append.ts, event-reads.ts, event-queries.ts, checkpoints.ts,
 * idempotency-keys.ts); this class is what callers hold.
 */
export class EventStore {
  /**
   * Fires `appended` after an append commits, so in-process readers (the relay) can wake up at
   * once, and `timed` (AppendTiming) after every append.
   */
  readonly appended = new EventEmitter();
  private readonly reads: EventReads;
  private readonly queries: EventQueries;
  private readonly checkpoints: StoreCheckpoints;
  private readonly keys: IdempotencyKeys;
  private readonly appender: Appender;

  constructor(
    db: DataSource,
    /** Called inside the append transaction after the insert, and after the commit (crash points). */
    hooks: AppendHooks = {},
  ) {
    this.reads = new EventReads(db);
    this.queries = new EventQueries(db);
    this.checkpoints = new StoreCheckpoints(db);
    this.keys = new IdempotencyKeys(db);
    this.appender = new Appender(db, this.keys, {
      inTransaction: () => hooks.inTransaction?.(),
      committed: () => hooks.committed?.(),
      appended: (events) => this.appended.emit('appended', events),
    });
  }

  async append<TResult>(request: AppendRequest<TResult>): Promise<AppendOutcome<TResult>> {
    const { streamId, expectedVersion, events, ...common } = request;
    return this.appendMany({ ...common, streams: [{ streamId, expectedVersion, events }] });
  }

  /**
   * Appends to several streams atomically (an import of many jobs, each in its own stream). The
   * invariants of `append` hold for every stream: the expected versions are checked, and the one
   * multi-row event insert is the transaction's first write.
   */
  async appendMany<TResult>(request: AppendManyRequest<TResult>): Promise<AppendOutcome<TResult>> {
    const started = performance.now();
    let outcome: AppendTiming['outcome'] = 'failed';
    try {
      const appended = await this.appender.append(request);
      outcome = appended.kind;
      return appended;
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) outcome = 'conflict';
      throw error;
    } finally {
      const timing: AppendTiming = { seconds: (performance.now() - started) / 1000, outcome };
      this.appended.emit('timed', timing);
    }
  }

  /** Deletes idempotency keys older than `olderThan` (retries come within minutes; the rows only grow). */
  purgeIdempotencyKeys(olderThan: Date): Promise<number> {
    return this.keys.purge(olderThan);
  }

  /** The first answer to an earlier request with this key, if it completed. */
  findIdempotent(scope: string, key: string): Promise<{ fingerprint: string; result: unknown } | null> {
    return this.keys.find(scope, key);
  }

  /** One stream in version order, optionally a slice of versions, or only events that happened by a time. */
  readStream(
    streamId: string,
    options: { fromVersion?: number; toVersion?: number; occurredUpTo?: Date } = {},
    manager?: EntityManager,
  ): Promise<StoredEvent[]> {
    return this.reads.readStream(streamId, options, manager);
  }

  /** Several whole streams in one query (a bulk command deciding over many aggregates). */
  readStreams(streamIds: readonly string[], manager?: EntityManager): Promise<Map<string, StoredEvent[]>> {
    return this.reads.readStreams(streamIds, manager);
  }

  /** A stream's version (its last stream position), 0 when the stream has no events. */
  streamVersion(streamId: string, manager?: EntityManager): Promise<number> {
    return this.reads.streamVersion(streamId, manager);
  }

  /**
   * Committed events after `checkpoint`, in commit order, at most `limit`. Reads only rows written
   * by transactions older than the oldest one still running: a transaction that took a smaller
   * position but commits later is waited for, never skipped.
   */
  readAll(checkpoint: StoreCheckpoint, limit: number, manager?: EntityManager): Promise<StoredEvent[]> {
    return this.reads.readAllIn({}, checkpoint, limit, manager);
  }

  /** `readAll` of only the events in `range` (the box at a time: what happened by then, of some types). */
  readAllIn(
    range: EventRange,
    checkpoint: StoreCheckpoint,
    limit: number,
    manager?: EntityManager,
  ): Promise<StoredEvent[]> {
    return this.reads.readAllIn(range, checkpoint, limit, manager);
  }

  /** `readAll` of some columns, a batch as one JSON value (a rebuild reads millions; see EventReads). */
  readAllAsArrays(
    columns: readonly string[],
    checkpoint: StoreCheckpoint,
    limit: number,
    manager?: EntityManager,
  ): Promise<unknown[][]> {
    return this.reads.readAllAsArrays(columns, checkpoint, limit, manager);
  }

  /** Events in `range` by global position, at most `limit` (a history page, an export or republish batch). */
  readRange(
    range: EventRange,
    page: { readonly order: RangeOrder; readonly limit: number },
    manager?: EntityManager,
  ): Promise<StoredEvent[]> {
    return this.queries.readRange(range, page, manager);
  }

  /** How many events `range` holds (a republish's total). */
  countRange(range: EventRange, manager?: EntityManager): Promise<number> {
    return this.queries.countRange(range, manager);
  }

  /** The largest global position, 0 when the store is empty. */
  head(manager?: EntityManager): Promise<number> {
    return this.queries.head(manager);
  }

  /** The head and reader `checkpoint`'s position (null before its first save), in one snapshot. */
  progress(
    checkpoint: string,
    manager?: EntityManager,
  ): Promise<{ head: number; checkpoint: number | null }> {
    return this.queries.progress(checkpoint, manager);
  }

  /** Events after a commit-order checkpoint: `(transaction_id, global_position) > checkpoint`. */
  countAfter(checkpoint: StoreCheckpoint, manager?: EntityManager): Promise<number> {
    return this.queries.countAfter(checkpoint, manager);
  }

  /** Each known event's correlation id (`metadata->>'correlationId'`); unknown ids are left out. */
  causes(
    eventIds: readonly string[],
    manager?: EntityManager,
  ): Promise<Map<string, { correlationId: string | null }>> {
    return this.queries.causes(eventIds, manager);
  }

  loadCheckpoint(name: string, manager?: EntityManager): Promise<StoreCheckpoint> {
    return this.checkpoints.load(name, manager);
  }

  /** Saves a reader's checkpoint; it only moves forward, even if a deposed leader writes late. */
  saveCheckpoint(name: string, checkpoint: StoreCheckpoint, manager?: EntityManager): Promise<void> {
    return this.checkpoints.save(name, checkpoint, manager);
  }
}
