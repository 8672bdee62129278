import { type DataSource, type EntityManager } from 'typeorm';
import { type EventRange, type RangeOrder, rangeConditions } from './event-range';
import { selectEvents, type StoreCheckpoint, type StoredEvent } from './stored-event';

/**
 * Queries on `events` for those who browse or measure the log rather than fold it: the admin
 * history and its exports, republishing a range, a rebuild's progress, the ops monitor, the causes
 * of a projection's changes. They order by `global_position`, the insertion sequence: right for
 * browsing, never for tailing (that is `readAll`'s commit order).
 */
export class EventQueries {
  constructor(private readonly db: DataSource) {}

  /** Events in `range` by global position, at most `limit`. */
  async readRange(
    range: EventRange,
    page: { readonly order: RangeOrder; readonly limit: number },
    manager: EntityManager = this.db.manager,
  ): Promise<StoredEvent[]> {
    const params: unknown[] = [page.limit];
    const conditions = rangeConditions(range, params);
    return selectEvents(
      manager,
      `${whereOf(conditions)} ORDER BY global_position ${page.order === 'newest-first' ? 'DESC' : 'ASC'} LIMIT $1`,
      params,
    );
  }

  /** How many events `range` holds. */
  async countRange(range: EventRange, manager: EntityManager = this.db.manager): Promise<number> {
    const params: unknown[] = [];
    const conditions = rangeConditions(range, params);
    const rows: { n: string }[] = await manager.query(
      `SELECT count(*) AS n FROM events e ${whereOf(conditions)}`,
      params,
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** The largest global position, 0 when the store is empty. */
  async head(manager: EntityManager = this.db.manager): Promise<number> {
    const rows: { head: string | null }[] = await manager.query(
      `SELECT max(global_position) AS head FROM events`,
    );
    return Number(rows[0]?.head ?? 0);
  }

  /** The head and a reader's checkpoint position (null before its first save), in one snapshot. */
  async progress(
    checkpoint: string,
    manager: EntityManager = this.db.manager,
  ): Promise<{ head: number; checkpoint: number | null }> {
    const rows: { head: string | null; checkpoint: string | null }[] = await manager.query(
      `SELECT (SELECT max(global_position) FROM events) AS head,
              (SELECT global_position FROM store_checkpoints WHERE name = $1) AS checkpoint`,
      [checkpoint],
    );
    return {
      head: Number(rows[0]?.head ?? 0),
      checkpoint: rows[0]?.checkpoint == null ? null : Number(rows[0].checkpoint),
    };
  }

  /**
   * Events after a commit-order checkpoint, committed or not yet: what is left to read after it
   * (the store keeps growing, so this is a snapshot).
   */
  async countAfter(checkpoint: StoreCheckpoint, manager: EntityManager = this.db.manager): Promise<number> {
    const rows: { n: string }[] = await manager.query(
      `SELECT count(*) AS n FROM events WHERE (transaction_id, global_position) > ($1::bigint, $2::bigint)`,
      [checkpoint.transactionId, checkpoint.globalPosition],
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** The correlation id of each known event (event ids are uuids); unknown ids are not in the map. */
  async causes(
    eventIds: readonly string[],
    manager: EntityManager = this.db.manager,
  ): Promise<Map<string, { correlationId: string | null }>> {
    if (eventIds.length === 0) return new Map();
    const rows: { event_id: string; correlation_id: string | null }[] = await manager.query(
      `SELECT event_id::text AS event_id, metadata->>'correlationId' AS correlation_id
         FROM events WHERE event_id = ANY($1::uuid[])`,
      [[...new Set(eventIds)]],
    );
    return new Map(rows.map((row) => [row.event_id, { correlationId: row.correlation_id }]));
  }
}

const whereOf = (conditions: readonly string[]): string =>
  conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
