import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { type Actor, type DomainEvent, type EventEnvelope } from '@feedwerk/contracts';
import { type DataSource, type EntityManager, QueryFailedError } from 'typeorm';
import {
  type ExpectedVersion,
  IdempotencyKeyInFlightError,
  IdempotencyKeyReusedError,
  WrongExpectedVersionError,
} from './errors';

/** A stored event with its raw payload (upcast with `toFeedEvent` from @feedwerk/contracts). */
export interface StoredEvent extends EventEnvelope<string, unknown> {
  /** The appending transaction's id; with globalPosition it forms the commit-order checkpoint. */
  readonly transactionId: string;
}

/** Where a reader of the whole store stands: the last (transaction id, global position) it has seen. */
export interface StoreCheckpoint {
  readonly transactionId: string;
  readonly globalPosition: number;
}
export const START: StoreCheckpoint = { transactionId: '0', globalPosition: 0 };

export interface EventMetadata {
  readonly correlationId: string;
  readonly causationId: string | null;
  readonly actor: Actor;
  /** CloudEvents `source`: the producing service, e.g. `/feedwerk/api`. */
  readonly source: string;
}

export interface NewEventWithVersion extends DomainEvent {
  readonly schemaVersion: number;
}

interface AppendCommon<TResult> {
  readonly metadata: EventMetadata;
  readonly now: Date;
  /** A retried request with the same scope + key appends nothing and gets the first result back. */
  readonly idempotency?: { readonly scope: string; readonly key: string; readonly fingerprint: string };
  /** Extra writes that must commit or fail with the events (e.g. a credential's hash). Runs after the insert. */
  readonly alsoWrite?: (tx: EntityManager, appended: readonly StoredEvent[]) => Promise<void>;
  /** The command's answer, stored with the idempotency key so that retries get it verbatim. */
  readonly respond: (appended: readonly StoredEvent[]) => TResult;
}

/** Events for one stream, decided on `expectedVersion`. */
export interface StreamAppend {
  readonly streamId: string;
  readonly expectedVersion: ExpectedVersion;
  readonly events: readonly NewEventWithVersion[];
}

export interface AppendRequest<TResult> extends AppendCommon<TResult>, StreamAppend {}

/** Several streams in one transaction: every stream's expected version holds and all commit, or nothing does. */
export interface AppendManyRequest<TResult> extends AppendCommon<TResult> {
  readonly streams: readonly StreamAppend[];
}

export type AppendOutcome<TResult> =
  | { readonly kind: 'appended'; readonly result: TResult; readonly events: readonly StoredEvent[] }
  | { readonly kind: 'replayed'; readonly result: TResult };

/** A row of the `events` table as pg returns it (bigint as string); readers outside the store use it too. */
export interface EventTableRow {
  global_position: string;
  event_id: string;
  stream_id: string;
  stream_position: number;
  type: string;
  schema_version: number;
  data: unknown;
  metadata: EventMetadata;
  occurred_at: Date;
}

interface EventDbRow extends EventTableRow {
  transaction_id: string;
}

const SELECT_COLUMNS = `global_position, event_id, stream_id, stream_position, type, schema_version, data, metadata,
  occurred_at, transaction_id`;

/** The envelope of a stored row, payload as stored (not upcast). */
export const envelopeOfRow = (row: EventTableRow): EventEnvelope<string, unknown> => ({
  id: row.event_id,
  type: row.type,
  source: row.metadata.source,
  time: row.occurred_at.toISOString(),
  schemaVersion: row.schema_version,
  streamId: row.stream_id,
  streamPosition: row.stream_position,
  globalPosition: Number(row.global_position),
  correlationId: row.metadata.correlationId,
  causationId: row.metadata.causationId,
  actor: row.metadata.actor,
  data: row.data,
});

const toStored = (row: EventDbRow): StoredEvent => ({
  ...envelopeOfRow(row),
  transactionId: row.transaction_id,
});

const isUniqueViolation = (error: unknown, constraint: string): boolean =>
  error instanceof QueryFailedError &&
  (error.driverError as { code?: string; constraint?: string }).code === '23505' &&
  (error.driverError as { constraint?: string }).constraint === constraint;

/** At most this many appends commit in one group transaction. */
const MAX_GROUP = 256;

interface WaitingAppend {
  readonly request: AppendManyRequest<unknown>;
  readonly done: (outcome: AppendOutcome<unknown>) => void;
  readonly fail: (error: unknown) => void;
}

/** Thrown inside the transaction to roll it back when the idempotency key was already taken. */
class ReplayInstead extends Error {
  constructor(readonly result: unknown) {
    super('idempotent replay');
  }
}

/**
 * The event store on PostgreSQL. Guarantees:
 * - An append is atomic: all of its events (and `alsoWrite`) commit, or none.
 * - Optimistic concurrency: `(stream_id, stream_position)` is unique, so two appends decided on the
 *   same version cannot both commit; the loser gets WrongExpectedVersionError.
 * - Idempotency: one result per (scope, key); the same key with another fingerprint is refused.
 * - `readAll` returns every committed event exactly once in a stable commit order and never skips
 *   an event whose transaction commits late (it reads only below the oldest running transaction).
 */
/** Emitted as `timed` on `EventStore.appended` after every append, whatever its outcome (metrics). */
export interface AppendTiming {
  readonly seconds: number;
  readonly outcome: 'appended' | 'replayed' | 'conflict' | 'failed';
}

export class EventStore {
  /**
   * Fires `appended` after an append commits, so in-process readers (the relay) can wake up at
   * once, and `timed` (AppendTiming) after every append.
   */
  readonly appended = new EventEmitter();
  /** Fresh appends waiting for the group transaction in flight (see appendFresh). */
  private readonly waiting: WaitingAppend[] = [];
  private grouping = false;

  constructor(
    private readonly db: DataSource,
    /** Called inside the append transaction after the insert, and after the commit (crash points). */
    private readonly hooks: { inTransaction?(): void; committed?(): void } = {},
  ) {}

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
      const appended = await this.appendOnce(request);
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

  private async appendOnce<TResult>(request: AppendManyRequest<TResult>): Promise<AppendOutcome<TResult>> {
    const { streams } = request;
    if (streams.length === 0 || streams.some((s) => s.events.length === 0))
      throw new Error('append needs at least one event per stream');
    if (new Set(streams.map((s) => s.streamId)).size !== streams.length)
      throw new Error('append lists a stream twice');
    if (!request.idempotency && !request.alsoWrite && streams.every((s) => s.expectedVersion === 'no_stream'))
      return this.appendFresh(request);
    return this.appendAlone(request);
  }

  /**
   * Group commit for appends that only start new streams (no idempotency key, no extra writes: a
   * posting, most commands under load): those arriving while a group transaction is in flight wait
   * and then commit together, one multi-row insert in one transaction, instead of a transaction
   * each. Every append keeps its own events, positions and answer. A group that fails (a stream
   * that exists after all, a throwing `respond`, a lost connection) is retried append by append, so
   * only the append at fault fails, with the error it would have got alone.
   */
  private appendFresh<TResult>(request: AppendManyRequest<TResult>): Promise<AppendOutcome<TResult>> {
    return new Promise((done, fail) => {
      this.waiting.push({
        request,
        done: done as (outcome: AppendOutcome<unknown>) => void,
        fail,
      });
      if (!this.grouping) void this.commitWaiting();
    });
  }

  private async commitWaiting(): Promise<void> {
    this.grouping = true;
    try {
      while (this.waiting.length > 0) {
        const group = this.waiting.splice(0, MAX_GROUP);
        if (group.length === 1) {
          const [one] = group as [WaitingAppend];
          await this.appendAlone(one.request).then(one.done, one.fail);
          continue;
        }
        let outcomes: { result: unknown; events: StoredEvent[] }[];
        try {
          outcomes = await this.db.transaction(async (tx) => {
            const appended = await this.insert(
              tx,
              group.map((g) => g.request),
              new Map(),
            );
            this.hooks.inTransaction?.();
            return group.map((g, i) => ({ result: g.request.respond(appended[i]!), events: appended[i]! }));
          });
        } catch {
          await Promise.all(group.map((g) => this.appendAlone(g.request).then(g.done, g.fail)));
          continue;
        }
        this.hooks.committed?.();
        group.forEach((g, i) => {
          const outcome = outcomes[i]!;
          this.appended.emit('appended', outcome.events);
          g.done({ kind: 'appended', result: outcome.result, events: outcome.events });
        });
      }
    } finally {
      this.grouping = false;
    }
  }

  private async appendAlone<TResult>(request: AppendManyRequest<TResult>): Promise<AppendOutcome<TResult>> {
    const { streams } = request;
    try {
      // READ COMMITTED, the session default (openDatabase pins it): naming the level here would
      // cost a SET TRANSACTION round trip on every append.
      const outcome = await this.db.transaction(async (tx) => {
        const streamIds = streams.map((s) => s.streamId);
        // New streams (a posting, a sign-up) need no read of their versions: the unique (stream,
        // position) index refuses position 1 of a stream that exists, answered below as a stale
        // append. One round trip less on the hottest commands. With an idempotency key the read
        // stays, so that a stale retry is answered from the key as before; it rides along with
        // taking the key's lock.
        const current = request.idempotency
          ? await this.holdKey(tx, request.idempotency, streamIds)
          : streams.every((s) => s.expectedVersion === 'no_stream')
            ? new Map<string, number>()
            : await this.currentVersions(tx, streamIds);
        const stale = this.firstStale(streams, current);
        if (stale) {
          if (request.idempotency) await this.replayIfKnown(tx, request.idempotency);
          throw stale;
        }
        // The event insert must be the transaction's first write: that is where its transaction id
        // is assigned, which keeps (transaction_id, global_position) order consistent with stream order.
        const [appended = []] = await this.insert(tx, [request], current);
        this.hooks.inTransaction?.();
        if (request.alsoWrite) await request.alsoWrite(tx, appended);
        const result = request.respond(appended);
        if (request.idempotency) await this.claimKey(tx, request.idempotency, result);
        return { kind: 'appended' as const, result, events: appended };
      });
      this.hooks.committed?.();
      this.appended.emit('appended', outcome.events);
      return outcome;
    } catch (error) {
      if (error instanceof ReplayInstead) return { kind: 'replayed', result: error.result as TResult };
      if (isUniqueViolation(error, 'events_stream_position_uq')) {
        const actual = await this.currentVersions(
          this.db.manager,
          streams.map((s) => s.streamId),
        );
        if (request.idempotency) {
          const known = await this.findIdempotent(request.idempotency.scope, request.idempotency.key);
          if (known && known.fingerprint === request.idempotency.fingerprint && known.result !== null) {
            return { kind: 'replayed', result: known.result as TResult };
          }
        }
        const first = streams[0]!;
        throw (
          this.firstStale(streams, actual) ??
          new WrongExpectedVersionError(
            first.streamId,
            first.expectedVersion,
            actual.get(first.streamId) ?? 0,
          )
        );
      }
      throw error;
    }
  }

  /** Deletes idempotency keys older than `olderThan` (retries come within minutes; the rows only grow). */
  async purgeIdempotencyKeys(olderThan: Date): Promise<number> {
    // TypeORM answers a DELETE with [rows, affected count].
    const [, affected] = await this.db.query<[unknown, number]>(
      `DELETE FROM idempotency_keys WHERE created_at < $1`,
      [olderThan.toISOString()],
    );
    return affected;
  }

  /** The first answer to an earlier request with this key, if it completed. */
  async findIdempotent(scope: string, key: string): Promise<{ fingerprint: string; result: unknown } | null> {
    const rows: { fingerprint: string; result: unknown }[] = await this.db.query(
      `SELECT fingerprint, result FROM idempotency_keys WHERE scope = $1 AND key = $2`,
      [scope, key],
    );
    return rows[0] ?? null;
  }

  async readStream(
    streamId: string,
    options: { fromVersion?: number; toVersion?: number } = {},
    manager: EntityManager = this.db.manager,
  ): Promise<StoredEvent[]> {
    const rows: EventDbRow[] = await manager.query(
      `SELECT ${SELECT_COLUMNS} FROM events
        WHERE stream_id = $1 AND stream_position >= $2 AND stream_position <= $3
        ORDER BY stream_position`,
      [streamId, options.fromVersion ?? 1, options.toVersion ?? 2_147_483_647],
    );
    return rows.map(toStored);
  }

  /** Several whole streams in one query (a bulk command deciding over many aggregates). */
  async readStreams(
    streamIds: readonly string[],
    manager: EntityManager = this.db.manager,
  ): Promise<Map<string, StoredEvent[]>> {
    const rows: EventDbRow[] = await manager.query(
      `SELECT ${SELECT_COLUMNS} FROM events WHERE stream_id = ANY($1::text[]) ORDER BY stream_id, stream_position`,
      [streamIds],
    );
    const streams = new Map<string, StoredEvent[]>(streamIds.map((id) => [id, []]));
    for (const row of rows) streams.get(row.stream_id)?.push(toStored(row));
    return streams;
  }

  /**
   * Committed events after `checkpoint`, in commit order, at most `limit`. Reads only rows written
   * by transactions older than the oldest one still running: a transaction that took a smaller
   * position but commits later is waited for, never skipped.
   */
  async readAll(
    checkpoint: StoreCheckpoint,
    limit: number,
    manager: EntityManager = this.db.manager,
  ): Promise<StoredEvent[]> {
    const rows: EventDbRow[] = await manager.query(
      `SELECT ${SELECT_COLUMNS} FROM events
        WHERE (transaction_id, global_position) > ($1::bigint, $2::bigint)
          AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())::text::bigint
        ORDER BY transaction_id, global_position
        LIMIT $3`,
      [checkpoint.transactionId, checkpoint.globalPosition, limit],
    );
    return rows.map(toStored);
  }

  /**
   * `readAll` for a reader that needs only some of each event's fields, in bulk (a projection
   * rebuild reads millions): `columns` are SQL expressions over the `events` row, and the batch
   * comes back as one JSON document, each event an array of its `transaction_id` and
   * `global_position` (as text) followed by the columns' values. Same order, frontier and batches as
   * `readAll`; the driver decodes one value per batch instead of a row object per event.
   */
  async readAllAsArrays(
    columns: readonly string[],
    checkpoint: StoreCheckpoint,
    limit: number,
    manager: EntityManager = this.db.manager,
  ): Promise<unknown[][]> {
    // No ORDER BY inside json_agg: it sorts the built values again (on disk beyond work_mem, about
    // 40 % of the statement's time). The subquery's order is what PostgreSQL aggregates in, but it
    // does not promise it, so the order is checked here and restored if it ever differs.
    const rows: { batch: unknown[][] | null }[] = await manager.query(
      `SELECT json_agg(json_build_array(transaction_id::text, global_position::text, ${columns.join(', ')}))
              AS batch
         FROM (SELECT * FROM events
                WHERE (transaction_id, global_position) > ($1::bigint, $2::bigint)
                  AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())::text::bigint
                ORDER BY transaction_id, global_position
                LIMIT $3) e`,
      [checkpoint.transactionId, checkpoint.globalPosition, limit],
    );
    const batch = rows[0]?.batch ?? [];
    for (let i = 1; i < batch.length; i += 1) {
      if (compareCommitOrder(batch[i - 1]!, batch[i]!) > 0) return batch.sort(compareCommitOrder);
    }
    return batch;
  }

  async loadCheckpoint(name: string, manager: EntityManager = this.db.manager): Promise<StoreCheckpoint> {
    const rows: { transaction_id: string; global_position: string }[] = await manager.query(
      `SELECT transaction_id, global_position FROM store_checkpoints WHERE name = $1`,
      [name],
    );
    const row = rows[0];
    return row ? { transactionId: row.transaction_id, globalPosition: Number(row.global_position) } : START;
  }

  async saveCheckpoint(
    name: string,
    checkpoint: StoreCheckpoint,
    manager: EntityManager = this.db.manager,
  ): Promise<void> {
    // GREATEST keeps the checkpoint monotonic even if a deposed leader writes late.
    await manager.query(
      `INSERT INTO store_checkpoints (name, transaction_id, global_position, updated_at)
       VALUES ($1, $2, $3, now())
       ON CONFLICT (name) DO UPDATE SET
         transaction_id = EXCLUDED.transaction_id, global_position = EXCLUDED.global_position, updated_at = now()
       WHERE (store_checkpoints.transaction_id, store_checkpoints.global_position)
           < (EXCLUDED.transaction_id, EXCLUDED.global_position)`,
      [name, checkpoint.transactionId, checkpoint.globalPosition],
    );
  }

  private async currentVersions(
    manager: EntityManager,
    streamIds: readonly string[],
  ): Promise<Map<string, number>> {
    const rows: { stream_id: string; version: number }[] = await manager.query(
      `SELECT stream_id, max(stream_position) AS version FROM events
        WHERE stream_id = ANY($1::text[]) GROUP BY stream_id`,
      [streamIds],
    );
    return new Map(rows.map((r) => [r.stream_id, r.version]));
  }

  private firstStale(
    streams: readonly StreamAppend[],
    current: ReadonlyMap<string, number>,
  ): WrongExpectedVersionError | null {
    for (const s of streams) {
      const actual = current.get(s.streamId) ?? 0;
      const expected = s.expectedVersion === 'no_stream' ? 0 : s.expectedVersion;
      if (expected !== 'any' && expected !== actual)
        return new WrongExpectedVersionError(s.streamId, s.expectedVersion, actual);
    }
    return null;
  }

  /** One multi-row insert of the events of one or more appends; the stored events per append. */
  private async insert(
    tx: EntityManager,
    appends: readonly Pick<AppendManyRequest<unknown>, 'streams' | 'metadata' | 'now'>[],
    current: ReadonlyMap<string, number>,
  ): Promise<StoredEvent[][]> {
    const rows = appends.flatMap((append, index) =>
      append.streams.flatMap((s) =>
        s.events.map((event, i) => ({
          id: randomUUID(),
          index,
          event,
          streamId: s.streamId,
          position: (current.get(s.streamId) ?? 0) + i + 1,
          metadata: JSON.stringify(append.metadata),
          now: append.now.toISOString(),
        })),
      ),
    );
    // NOTIFY wakes relays in other processes; it is delivered on commit (never for a rolled-back
    // append), so it rides along with the insert instead of costing a round trip of its own.
    const inserted: EventDbRow[] = await tx.query(
      `WITH inserted AS (
         INSERT INTO events (event_id, stream_id, stream_position, type, schema_version, data, metadata, occurred_at)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::int[], $6::jsonb[], $7::jsonb[],
                              $8::timestamptz[])
         RETURNING ${SELECT_COLUMNS}
       ), notified AS (
         SELECT pg_notify('feedwerk_events', max(global_position)::text) FROM inserted
       )
       SELECT inserted.* FROM inserted CROSS JOIN notified`,
      [
        rows.map((r) => r.id),
        rows.map((r) => r.streamId),
        rows.map((r) => r.position),
        rows.map((r) => r.event.type),
        rows.map((r) => r.event.schemaVersion),
        rows.map((r) => JSON.stringify(r.event.data)),
        rows.map((r) => r.metadata),
        rows.map((r) => r.now),
      ],
    );
    const appendOf = new Map<string, number>(rows.map((r) => [r.id, r.index]));
    const stored = appends.map((): StoredEvent[] => []);
    for (const row of inserted) stored[appendOf.get(row.event_id)!]!.push(toStored(row));
    for (const events of stored) events.sort((a, b) => a.globalPosition - b.globalPosition);
    return stored;
  }

  /**
   * Marks the key as in flight for this transaction: a transaction-scoped advisory lock (no write,
   * so the event insert stays the first write). A concurrent request with the same key does not
   * wait for us but is told 409 at once; once we commit, retries find the stored answer. (PGlite runs
   * one session with one connection: its transactions never overlap, so a retry there always
   * finds the committed answer.) The same statement reads the streams' versions. Its snapshot may
   * predate a first attempt with this key that committed just before the lock was granted; then
   * the retry's insert meets that attempt's key (claimKey) or its event (the unique index), and
   * both paths answer with the stored result.
   */
  private async holdKey(
    tx: EntityManager,
    idem: NonNullable<AppendCommon<unknown>['idempotency']>,
    streamIds: readonly string[],
  ): Promise<Map<string, number>> {
    const rows: { locked: boolean; versions: [string, number][] }[] = await tx.query(
      `SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS locked,
              (SELECT coalesce(json_agg(json_build_array(stream_id, version)), '[]'::json)
                 FROM (SELECT stream_id, max(stream_position) AS version FROM events
                        WHERE stream_id = ANY($2::text[]) GROUP BY stream_id) v) AS versions`,
      [`idempotency\n${idem.scope}\n${idem.key}`, streamIds],
    );
    const row = rows[0];
    if (!row?.locked) throw new IdempotencyKeyInFlightError(idem.key);
    return new Map(row.versions);
  }

  /**
   * Claims the key with the command's answer, the transaction's last statement: one insert instead
   * of a claim and an update of the result. A concurrent holder of the same key makes this insert
   * wait for it; once it committed, its answer is replayed and this transaction rolls back.
   */
  private async claimKey(
    tx: EntityManager,
    idem: NonNullable<AppendCommon<unknown>['idempotency']>,
    result: unknown,
  ): Promise<void> {
    const claimed: unknown[] = await tx.query(
      `INSERT INTO idempotency_keys (scope, key, fingerprint, result) VALUES ($1, $2, $3, $4)
       ON CONFLICT (scope, key) DO NOTHING RETURNING key`,
      [idem.scope, idem.key, idem.fingerprint, JSON.stringify(result)],
    );
    if (claimed.length === 0) await this.replayIfKnown(tx, idem);
  }

  private async replayIfKnown(tx: EntityManager, idem: NonNullable<AppendCommon<unknown>['idempotency']>) {
    const rows: { fingerprint: string; result: unknown }[] = await tx.query(
      `SELECT fingerprint, result FROM idempotency_keys WHERE scope = $1 AND key = $2`,
      [idem.scope, idem.key],
    );
    const known = rows[0];
    if (!known) return;
    if (known.fingerprint !== idem.fingerprint) throw new IdempotencyKeyReusedError(idem.key);
    throw new ReplayInstead(known.result);
  }
}

/** Commit order of two `readAllAsArrays` rows: (transaction_id, global_position), both bigint as text. */
function compareCommitOrder(a: readonly unknown[], b: readonly unknown[]): number {
  return compareDigits(a[0] as string, b[0] as string) || compareDigits(a[1] as string, b[1] as string);
}

/** Non-negative integers written without leading zeros: the longer is larger, else the text order. */
const compareDigits = (x: string, y: string): number => x.length - y.length || (x < y ? -1 : x > y ? 1 : 0);
