import { type DataSource, type EntityManager } from 'typeorm';
import { type EventRange, rangeConditions } from './event-range';
import { selectEvents, type StoreCheckpoint, type StoredEvent } from './stored-event';

/** Reads of `events` by stream and in commit order: what commands, the relay and projections read. */
export class EventReads {
  constructor(private readonly db: DataSource) {}

  /** One stream in version order; `occurredUpTo` leaves out its events that happened later. */
  async readStream(
    streamId: string,
    options: { fromVersion?: number; toVersion?: number; occurredUpTo?: Date },
    manager: EntityManager = this.db.manager,
  ): Promise<StoredEvent[]> {
    const params: unknown[] = [streamId, options.fromVersion ?? 1, options.toVersion ?? 2_147_483_647];
    const occurred = options.occurredUpTo
      ? `AND occurred_at <= $${params.push(options.occurredUpTo.toISOString())}`
      : '';
    return selectEvents(
      manager,
      `WHERE stream_id = $1 AND stream_position >= $2 AND stream_position <= $3 ${occurred}
        ORDER BY stream_position`,
      params,
    );
  }

  async readStreams(
    streamIds: readonly string[],
    manager: EntityManager = this.db.manager,
  ): Promise<Map<string, StoredEvent[]>> {
    const events = await selectEvents(
      manager,
      `WHERE stream_id = ANY($1::text[]) ORDER BY stream_id, stream_position`,
      [streamIds],
    );
    const streams = new Map<string, StoredEvent[]>(streamIds.map((id) => [id, []]));
    for (const event of events) streams.get(event.streamId)?.push(event);
    return streams;
  }

  /** A stream's version: its last stream position, 0 when it has no events. */
  async streamVersion(streamId: string, manager: EntityManager = this.db.manager): Promise<number> {
    const rows: { version: number | null }[] = await manager.query(
      `SELECT max(stream_position) AS version FROM events WHERE stream_id = $1`,
      [streamId],
    );
    return rows[0]?.version ?? 0;
  }

  /**
   * Committed events in `range` after `checkpoint`, in commit order, at most `limit`. Reads only
   * rows written by transactions older than the oldest one still running: a transaction that took
   * a smaller position but commits later is waited for, never skipped.
   */
  async readAllIn(
    range: EventRange,
    checkpoint: StoreCheckpoint,
    limit: number,
    manager: EntityManager = this.db.manager,
  ): Promise<StoredEvent[]> {
    const params: unknown[] = [checkpoint.transactionId, checkpoint.globalPosition, limit];
    const filter = rangeConditions(range, params).map((condition) => `AND ${condition}`);
    return selectEvents(
      manager,
      `WHERE (transaction_id, global_position) > ($1::bigint, $2::bigint)
          AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())::text::bigint
          ${filter.join('\n          ')}
        ORDER BY transaction_id, global_position
        LIMIT $3`,
      params,
    );
  }

  /**
   * `readAllIn` for a reader that needs only some of each event's fields, in bulk (a projection
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
}

/** Commit order of two `readAllAsArrays` rows: (transaction_id, global_position), both bigint as text. */
function compareCommitOrder(a: readonly unknown[], b: readonly unknown[]): number {
  return compareDigits(a[0] as string, b[0] as string) || compareDigits(a[1] as string, b[1] as string);
}

/** Non-negative integers written without leading zeros: the longer is larger, else the text order. */
const compareDigits = (x: string, y: string): number => x.length - y.length || (x < y ? -1 : x > y ? 1 : 0);
