import { randomUUID } from 'node:crypto';
import { type DomainEvent } from '@feedwerk/contracts';
import { type DataSource, type EntityManager, QueryFailedError } from 'typeorm';
import { type ExpectedVersion, WrongExpectedVersionError } from './errors';
import { type IdempotencyKey, type IdempotencyKeys, ReplayInstead } from './idempotency-keys';
import {
  type EventDbRow,
  type EventMetadata,
  SELECT_COLUMNS,
  type StoredEvent,
  toStored,
} from './stored-event';

export interface NewEventWithVersion extends DomainEvent {
  readonly schemaVersion: number;
}

interface AppendCommon<TResult> {
  readonly metadata: EventMetadata;
  readonly now: Date;
  /** A retried request with the same scope + key appends nothing and gets the first result back. */
  readonly idempotency?: IdempotencyKey;
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

/** Called inside the append transaction after the insert, and after the commit (crash points in tests). */
export interface AppendHooks {
  inTransaction?(): void;
  committed?(): void;
}

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

/**
 * The append path: the expected-version check, the event insert as the transaction's first write,
 * the idempotency key, and group commit of appends that only start new streams.
 */
export class Appender {
  /** Fresh appends waiting for the group transaction in flight (see appendFresh). */
  private readonly waiting: WaitingAppend[] = [];
  private grouping = false;

  constructor(
    private readonly db: DataSource,
    private readonly keys: IdempotencyKeys,
    /** The caller's hooks, and `appended`, told of every append once it has committed. */
    private readonly hooks: AppendHooks & { appended(events: readonly StoredEvent[]): void },
  ) {}

  async append<TResult>(request: AppendManyRequest<TResult>): Promise<AppendOutcome<TResult>> {
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
          this.hooks.appended(outcome.events);
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
          ? await this.keys.hold(tx, request.idempotency, streamIds)
          : streams.every((s) => s.expectedVersion === 'no_stream')
            ? new Map<string, number>()
            : await this.streamVersions(streamIds, tx);
        const stale = firstStale(streams, current);
        if (stale) {
          if (request.idempotency) await this.keys.replayIfKnown(tx, request.idempotency);
          throw stale;
        }
        // The event insert must be the transaction's first write: that is where its transaction id
        // is assigned, which keeps (transaction_id, global_position) order consistent with stream order.
        const [appended = []] = await this.insert(tx, [request], current);
        this.hooks.inTransaction?.();
        if (request.alsoWrite) await request.alsoWrite(tx, appended);
        const result = request.respond(appended);
        if (request.idempotency) await this.keys.claim(tx, request.idempotency, result);
        return { kind: 'appended' as const, result, events: appended };
      });
      this.hooks.committed?.();
      this.hooks.appended(outcome.events);
      return outcome;
    } catch (error) {
      if (error instanceof ReplayInstead) return { kind: 'replayed', result: error.result as TResult };
      if (isUniqueViolation(error, 'events_stream_position_uq')) {
        const actual = await this.streamVersions(
          streams.map((s) => s.streamId),
          this.db.manager,
        );
        if (request.idempotency) {
          const known = await this.keys.find(request.idempotency.scope, request.idempotency.key);
          if (known && known.fingerprint === request.idempotency.fingerprint && known.result !== null) {
            return { kind: 'replayed', result: known.result as TResult };
          }
        }
        const first = streams[0]!;
        throw (
          firstStale(streams, actual) ??
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

  /** The versions of several streams; a stream without events is missing from the map. */
  private async streamVersions(
    streamIds: readonly string[],
    manager: EntityManager,
  ): Promise<Map<string, number>> {
    const rows: { stream_id: string; version: number }[] = await manager.query(
      `SELECT stream_id, max(stream_position) AS version FROM events
        WHERE stream_id = ANY($1::text[]) GROUP BY stream_id`,
      [streamIds],
    );
    return new Map(rows.map((r) => [r.stream_id, r.version]));
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
}

/** The first stream whose expected version is not its current one, as the error to answer. */
function firstStale(
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
