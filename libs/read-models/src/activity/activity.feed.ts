import {
  type FeedOpeningOf,
  matchesFilter,
  type TickerChangeRecord,
  type TickerFilter,
  type TickerItemRecord,
} from '@feedwerk/contracts';
import { type DataSource } from 'typeorm';
import { checkpointKeySql, liveGeneration } from '../generations/generations';
import {
  CHANGE_COLUMNS,
  type ChangeRow,
  ITEM_COLUMNS,
  type ItemRow,
  stripInternal,
  toChange,
  toItem,
} from './activity.rows';
import { ACTIVITY_VERSION, activityTables } from './activity.tables';

/** The opening read from the model: records, before the ticker renders them. */
export type FeedOpening = FeedOpeningOf<TickerItemRecord, TickerChangeRecord>;

/** The stored event that caused a feed change. */
export interface ChangeCause {
  readonly eventId: string;
  readonly correlationId: string | null;
}

/** Where the live feed stands: its generation, head (last committed position) and published position. */
export interface FeedState {
  readonly generation: number;
  readonly head: number;
  readonly published: number;
}

/**
 * Reads of the activity read model: the ticker's history and resume source. Every read resolves
 * the live generation inside its own transaction or statement, so it never mixes two generations
 * and never sees a generation that is still being built.
 */
export class ActivityFeed {
  constructor(private readonly db: DataSource) {}

  /**
   * The current box for `filter` (newest first, at most `limit`) with the head it is exact at, or
   * with `since`: every change after it up to that head. Read in one snapshot, so the items and
   * the head agree. `since` beyond the head, or more than `maxCatchUp` changes behind it, or older
   * than the retained log, cannot be served exactly: the answer is a snapshot.
   */
  open(
    filter: TickerFilter,
    limit: number,
    since: number | undefined,
    maxCatchUp = 1_000,
  ): Promise<FeedOpening> {
    return this.db.transaction('REPEATABLE READ', async (tx) => {
      const generation = await liveGeneration(tx, 'activity', 'none');
      const t = activityTables(generation);
      const state: { feed_position: string; oldest: string | null }[] = await tx.query(
        `SELECT feed_position, (SELECT min(position) FROM ${t.changes}) AS oldest
           FROM projection_state WHERE projection = $1`,
        [t.name],
      );
      const head = Number(state[0]?.feed_position ?? 0);
      const oldest = state[0]?.oldest === null || state[0] === undefined ? head + 1 : Number(state[0].oldest);
      if (since !== undefined && since <= head && head - since <= maxCatchUp && since >= oldest - 1) {
        const rows: ChangeRow[] = await tx.query(
          `SELECT ${CHANGE_COLUMNS} FROM ${t.changes}
            WHERE position > $1 AND position <= $2 ORDER BY position`,
          [since, head],
        );
        return { mode: 'changes', changes: rows.map(toChange), head, generation };
      }
      const rows: ItemRow[] = await tx.query(
        `SELECT ${ITEM_COLUMNS} FROM ${t.items}
          WHERE NOT retracted
            AND (portal = $1 OR portal IS NULL)
            AND ($2::text[] IS NULL OR kind = ANY($2::text[]))
            AND ($3::text IS NULL OR region IS NULL OR region = $3)
            AND ($4::text IS NULL OR category IS NULL OR category = $4)
            AND position <= $5
          ORDER BY item_order DESC LIMIT $6`,
        [filter.portal, filter.types ?? null, filter.region ?? null, filter.category ?? null, head, limit],
      );
      const items = rows.map(toItem).filter((item) => matchesFilter(filter, item));
      return { mode: 'snapshot', items: items.map(stripInternal), head, generation };
    });
  }

  /**
   * The feed's changes with after < position <= upTo, in position order (every portal), of
   * `generation` (default: the live one). Pass the generation `state()` returned, so that a switch
   * in between cannot mix positions of two generations.
   */
  async between(
    after: number,
    upTo: number,
    limit = 1000,
    generation?: number,
  ): Promise<TickerChangeRecord[]> {
    const sql = (t: ReturnType<typeof activityTables>) =>
      `SELECT ${CHANGE_COLUMNS} FROM ${t.changes}
        WHERE position > $1 AND position <= $2 ORDER BY position LIMIT $3`;
    // A named generation is one statement on one table (consistent by itself): no transaction, one
    // round trip instead of three (ticker nodes fill gaps with it).
    if (generation !== undefined) {
      const rows: ChangeRow[] = await this.db.query(sql(activityTables(generation)), [after, upTo, limit]);
      return rows.map(toChange);
    }
    return this.db.transaction('REPEATABLE READ', async (tx) => {
      const t = activityTables(await liveGeneration(tx, 'activity', 'none'));
      const rows: ChangeRow[] = await tx.query(sql(t), [after, upTo, limit]);
      return rows.map(toChange);
    });
  }

  /**
   * `between` for the publisher: the changes of `generation` with the id of the event behind each
   * (the public activity topic traces a change to it; the store knows its correlation id), in one
   * statement.
   */
  async publishable(
    after: number,
    upTo: number,
    limit: number,
    generation: number,
  ): Promise<{ change: TickerChangeRecord; eventId: string | null }[]> {
    const t = activityTables(generation);
    const rows: (ChangeRow & { event_id: string | null })[] = await this.db.query(
      `SELECT ${CHANGE_COLUMNS}, event_id FROM ${t.changes}
        WHERE position > $1 AND position <= $2 ORDER BY position LIMIT $3`,
      [after, upTo, limit],
    );
    return rows.map((row) => ({ change: toChange(row), eventId: row.event_id }));
  }

  /** The live generation, its feed's head (last committed position) and how far changes were published. */
  async state(): Promise<FeedState> {
    // One statement (one snapshot, one round trip: ticker nodes and the publisher poll it).
    const rows: { generation: number; feed_position: string; published_position: string }[] =
      await this.db.query(
        `SELECT l.generation, s.feed_position, s.published_position
           FROM projection_live l
           JOIN projection_state s ON s.projection = ${checkpointKeySql(ACTIVITY_VERSION, 'l.generation')}
          WHERE l.projection = 'activity'`,
      );
    const row = rows[0];
    if (!row) throw new Error('the activity projection has no live generation (migrations not run?)');
    return {
      generation: row.generation,
      head: Number(row.feed_position),
      published: Number(row.published_position),
    };
  }

  /** Records that changes up to `position` of `generation` (default: the live one) were published. */
  async markPublished(position: number, generation?: number): Promise<void> {
    // One statement: publishing marks after every batch, and ticker nodes compare against it.
    await this.db.query(
      `UPDATE projection_state SET published_position = GREATEST(published_position, $2)
        WHERE projection = (SELECT ${checkpointKeySql(ACTIVITY_VERSION, 'COALESCE($1::int, generation)')}
                              FROM projection_live WHERE projection = 'activity')`,
      [generation ?? null, position],
    );
  }
}
