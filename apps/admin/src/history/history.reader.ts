import { Injectable } from '@nestjs/common';
import { type Actor, toFeedEvent, type FeedEvent } from '@feedwerk/contracts';
import { envelopeOfRow, type EventTableRow } from '@feedwerk/event-store';
import { DataSource, type EntityManager } from 'typeorm';
import { type EventFilter, type EventsQuery } from './history.queries';

/** What an admin sees of a personal-data box: never its ciphertext, never its plaintext. */
export type PersonalDataStatus = { readonly status: 'sealed' } | { readonly status: 'erased' };

/**
 * One event as the history browser, its exports and the CLI show it: the envelope, and the payload
 * upcast to the current schema version (`toFeedEvent`). A CvUploaded's sealed personal data is
 * replaced by its status. An event whose payload does not decode (a version from the future, a
 * broken row) shows `data: null` and the reason: the raw payload could hold anything.
 */
export interface AdminEventView {
  readonly position: number;
  readonly id: string;
  readonly type: string;
  /** The schema version `data` is shown in (the current one after upcasting). */
  readonly schemaVersion: number;
  /** The version the event was stored in. */
  readonly storedSchemaVersion: number;
  readonly streamId: string;
  readonly streamPosition: number;
  readonly time: string;
  readonly correlationId: string;
  readonly causationId: string | null;
  readonly actor: Actor;
  readonly source: string;
  readonly data: unknown;
  readonly undecodable: string | null;
}

export type PageCursor = { readonly after: number } | { readonly before: number };

export interface EventPage {
  readonly events: readonly AdminEventView[];
  /** Merge into the query for the next page in the same direction; null on the last page. */
  readonly next: PageCursor | null;
}

/** An event as read for folding: the envelope with the payload upcast, or null when it does not decode. */
export interface DecodedEvent {
  readonly row: EventTableRow;
  readonly event: FeedEvent | null;
  readonly error: string | null;
}

const COLUMNS = `global_position, event_id, stream_id, stream_position, type, schema_version, data, metadata, occurred_at`;

function decode(row: EventTableRow): DecodedEvent {
  try {
    const event = toFeedEvent(envelopeOfRow(row));
    return { row, event, error: null };
  } catch (error) {
    return { row, event: null, error: error instanceof Error ? error.message : String(error) };
  }
}

/** SQL conditions for a filter, numbered from `$1`, with their parameters. */
function whereOf(filter: EventFilter): { conditions: string[]; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  if (filter.type) conditions.push(`type = ANY(${param(filter.type)}::text[])`);
  if (filter.stream) conditions.push(`stream_id = ${param(filter.stream)}`);
  if (filter.portal) {
    const p = param(filter.portal);
    // A bulk refresh names its portals in a list; everything else carries one `portal` field.
    conditions.push(
      `(data->>'portal' = ${p} OR (type = 'JobsRefreshed' AND data->'portals' @> jsonb_build_array(jsonb_build_object('portal', ${p}::text))))`,
    );
  }
  if (filter.from) conditions.push(`occurred_at >= ${param(filter.from.toISOString())}`);
  if (filter.to) conditions.push(`occurred_at < ${param(filter.to.toISOString())}`);
  if (filter.correlationId) conditions.push(`metadata->>'correlationId' = ${param(filter.correlationId)}`);
  return { conditions, params };
}

/**
 * Reads the event store for admins. Positions are the store's insertion sequence (unique,
 * increasing, not gapless): a page cursor is the last position shown.
 */
@Injectable()
export class HistoryReader {
  constructor(private readonly db: DataSource) {}

  /** One page: oldest first (`after`, or from the start), or newest first (`before`). */
  async page(query: EventsQuery): Promise<EventPage> {
    const newestFirst = query.before !== undefined;
    const { conditions, params } = whereOf(query);
    if (query.after !== undefined) conditions.push(`global_position > ${query.after}`);
    if (query.before !== undefined) conditions.push(`global_position < ${query.before}`);
    const rows = await this.select(conditions, params, newestFirst ? 'DESC' : 'ASC', query.limit + 1);
    const more = rows.length > query.limit;
    const shown = rows.slice(0, query.limit);
    const last = shown.at(-1);
    const next: PageCursor | null =
      more && last
        ? newestFirst
          ? { before: Number(last.global_position) }
          : { after: Number(last.global_position) }
        : null;
    return { events: await this.views(shown), next };
  }

  /**
   * Every matching event up to the store's head when the export began, oldest first, a batch at a
   * time: memory stays bounded by one batch however large the history is.
   */
  async *exportBatches(filter: EventFilter, batchSize = 500): AsyncGenerator<AdminEventView[]> {
    const head = await this.head();
    let after = 0;
    for (;;) {
      const { conditions, params } = whereOf(filter);
      conditions.push(`global_position > ${after}`, `global_position <= ${head}`);
      const rows = await this.select(conditions, params, 'ASC', batchSize);
      if (rows.length === 0) return;
      yield await this.views(rows);
      after = Number(rows.at(-1)!.global_position);
      if (rows.length < batchSize) return;
    }
  }

  /** A whole stream in version order, shown as admins see events. */
  async stream(streamId: string): Promise<AdminEventView[]> {
    return this.views(await this.select([`stream_id = $1`], [streamId], 'ASC', null, 'stream_position'));
  }

  /** A stream's events up to a version or a time, decoded for folding. */
  async streamUpTo(streamId: string, upTo: { version?: number; at?: Date }): Promise<DecodedEvent[]> {
    const conditions = [`stream_id = $1`];
    const params: unknown[] = [streamId];
    if (upTo.version !== undefined) conditions.push(`stream_position <= ${upTo.version}`);
    if (upTo.at) {
      params.push(upTo.at.toISOString());
      conditions.push(`occurred_at <= $2`);
    }
    return (await this.select(conditions, params, 'ASC', null, 'stream_position')).map(decode);
  }

  async streamVersion(streamId: string): Promise<number> {
    const rows: { version: number | null }[] = await this.db.query(
      `SELECT max(stream_position) AS version FROM events WHERE stream_id = $1`,
      [streamId],
    );
    return rows[0]?.version ?? 0;
  }

  async head(): Promise<number> {
    const rows: { head: string | null }[] = await this.db.query(
      `SELECT max(global_position) AS head FROM events`,
    );
    return Number(rows[0]?.head ?? 0);
  }

  /**
   * Events that happened at or before `at`, in commit order (the order the relay publishes and the
   * projection applies), a batch at a time. Only rows of finished transactions: like the relay.
   */
  async *committedUpTo(
    at: Date,
    types: readonly string[],
    batchSize = 1_000,
  ): AsyncGenerator<DecodedEvent[]> {
    let checkpoint = { transactionId: '0', globalPosition: 0 };
    for (;;) {
      const rows: (EventTableRow & { transaction_id: string })[] = await this.db.query(
        `SELECT ${COLUMNS}, transaction_id FROM events
          WHERE (transaction_id, global_position) > ($1::bigint, $2::bigint)
            AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())::text::bigint
            AND occurred_at <= $3 AND type = ANY($4::text[])
          ORDER BY transaction_id, global_position
          LIMIT $5`,
        [checkpoint.transactionId, checkpoint.globalPosition, at.toISOString(), types, batchSize],
      );
      if (rows.length === 0) return;
      yield rows.map(decode);
      const last = rows.at(-1)!;
      checkpoint = { transactionId: last.transaction_id, globalPosition: Number(last.global_position) };
      if (rows.length < batchSize) return;
    }
  }

  private async select(
    conditions: readonly string[],
    params: readonly unknown[],
    direction: 'ASC' | 'DESC',
    limit: number | null,
    orderBy = 'global_position',
    manager: EntityManager = this.db.manager,
  ): Promise<EventTableRow[]> {
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
    return manager.query(
      `SELECT ${COLUMNS} FROM events ${where} ORDER BY ${orderBy} ${direction}${limit === null ? '' : ` LIMIT ${limit}`}`,
      [...params],
    );
  }

  /** Decodes rows and replaces every sealed box by its status (one key lookup per batch). */
  private async views(rows: readonly EventTableRow[]): Promise<AdminEventView[]> {
    const decoded = rows.map(decode);
    const keyIds = decoded.flatMap((d) =>
      d.event?.type === 'CvUploaded' ? [d.event.data.personal.keyId] : [],
    );
    const live = await this.liveKeys(keyIds);
    return decoded.map(({ row, event, error }) => ({
      position: Number(row.global_position),
      id: row.event_id,
      type: row.type,
      schemaVersion: event?.schemaVersion ?? row.schema_version,
      storedSchemaVersion: row.schema_version,
      streamId: row.stream_id,
      streamPosition: row.stream_position,
      time: row.occurred_at.toISOString(),
      correlationId: row.metadata.correlationId,
      causationId: row.metadata.causationId,
      actor: row.metadata.actor,
      source: row.metadata.source,
      data: event === null ? null : shown(event, live),
      undecodable: error,
    }));
  }

  /**
   * Which of these keys still exist. A key that is gone (shredded, a tombstone, or never known)
   * opens nothing: its boxes show as erased. Only existence is read, never key material.
   */
  private async liveKeys(keyIds: readonly string[]): Promise<ReadonlySet<string>> {
    if (keyIds.length === 0) return new Set();
    const rows: { key_id: string }[] = await this.db.query(
      `SELECT key_id::text AS key_id FROM candidate_keys WHERE key_id = ANY($1::uuid[]) AND dek IS NOT NULL`,
      [[...new Set(keyIds)]],
    );
    return new Set(rows.map((r) => r.key_id));
  }
}

/** The payload an admin may see: everything but the sealed box, which becomes its status. */
function shown(event: FeedEvent, liveKeys: ReadonlySet<string>): unknown {
  if (event.type !== 'CvUploaded') return event.data;
  const personal: PersonalDataStatus = liveKeys.has(event.data.personal.keyId)
    ? { status: 'sealed' }
    : { status: 'erased' };
  return { ...event.data, personal };
}
