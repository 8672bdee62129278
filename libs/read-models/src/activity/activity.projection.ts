import { type EventEnvelope, type FeedEvent, type TickerItemRecord, toFeedEvent } from '@feedwerk/contracts';
import { type EventStore } from '@feedwerk/event-store';
import { type DataSource, type EntityManager } from 'typeorm';
import { activityOf } from './activity.fold';

/** The live version of the activity projection: its name is also its checkpoint key. */
export const ACTIVITY = { name: 'activity@1', table: 'rm_activity_v1' } as const;

export interface ActivityResult {
  /** New ticker items, in feed order. */
  readonly items: readonly TickerItemRecord[];
  /** Events already applied before (redeliveries). */
  readonly skipped: number;
  /** Events re-read from the store because the transport delivered a later version first. */
  readonly gapFilled: number;
}

interface ActivityRow {
  position: string;
  id: string;
  kind: TickerItemRecord['kind'];
  portal: string | null;
  region: TickerItemRecord['region'];
  category: string | null;
  count: number;
  at: Date;
}

export const toTickerItemRecord = (row: ActivityRow): TickerItemRecord => ({
  id: row.id,
  position: Number(row.position),
  kind: row.kind,
  portal: row.portal,
  region: row.region,
  category: row.category,
  count: row.count,
  order: Number(row.position),
  at: row.at.toISOString(),
});

const ROW_COLUMNS = 'position, id, kind, portal, region, category, count, at';

/**
 * Folds events into ticker items (table rm_activity_v1). Guarantees:
 * - Exactly-once effect: each stream's last applied version is stored in the same transaction as
 *   the items, so a redelivered event changes nothing and a crash before commit changes nothing.
 * - Per-stream order: a version ahead of the next expected one makes the projection re-read the
 *   missing versions from the event store first (a gap is filled, never skipped).
 * - Feed positions are gapless and commit-ordered: every batch locks the projection's counter row,
 *   so concurrent projector instances take turns and a rolled-back batch returns its positions.
 */
export class ActivityProjection {
  constructor(
    private readonly db: DataSource,
    private readonly store: EventStore,
  ) {}

  async handle(events: readonly FeedEvent[]): Promise<ActivityResult> {
    if (events.length === 0) return { items: [], skipped: 0, gapFilled: 0 };
    return this.db.transaction(async (tx) => {
      const counter: { feed_position: string }[] = await tx.query(
        `SELECT feed_position FROM projection_state WHERE projection = $1 FOR UPDATE`,
        [ACTIVITY.name],
      );
      if (!counter[0])
        throw new Error(`projection ${ACTIVITY.name} is not initialised (migrations not run?)`);
      let position = Number(counter[0].feed_position);
      const versions = await this.versions(tx, [...new Set(events.map((e) => e.streamId))]);
      const touched = new Map<string, number>();
      const items: (TickerItemRecord & { eventId: string; subject: string })[] = [];
      let skipped = 0;
      let gapFilled = 0;

      for (const event of events) {
        const last = versions.get(event.streamId) ?? 0;
        if (event.streamPosition <= last) {
          skipped += 1;
          continue;
        }
        const missing =
          event.streamPosition > last + 1
            ? await this.reread(tx, event.streamId, last + 1, event.streamPosition - 1)
            : [];
        gapFilled += missing.length;
        for (const e of [...missing, event]) {
          const draft = activityOf(e);
          if (!draft) continue;
          position += 1;
          items.push({
            ...draft,
            id: e.id,
            order: position,
            position,
            at: e.time,
            eventId: e.id,
            subject: e.streamId,
          });
        }
        versions.set(event.streamId, event.streamPosition);
        touched.set(event.streamId, event.streamPosition);
      }

      if (items.length > 0) {
        await tx.query(
          `INSERT INTO ${ACTIVITY.table} (position, id, event_id, kind, portal, region, category, count, subject, at)
           SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[],
                                $8::int[], $9::text[], $10::timestamptz[])`,
          [
            items.map((i) => i.position),
            items.map((i) => i.id),
            items.map((i) => i.eventId),
            items.map((i) => i.kind),
            items.map((i) => i.portal),
            items.map((i) => i.region),
            items.map((i) => i.category),
            items.map((i) => i.count),
            items.map((i) => i.subject),
            items.map((i) => i.at),
          ],
        );
      }
      if (touched.size > 0) {
        await tx.query(
          `INSERT INTO projection_streams (projection, stream_id, version)
           SELECT $1, * FROM unnest($2::text[], $3::int[])
           ON CONFLICT (projection, stream_id) DO UPDATE SET version = EXCLUDED.version`,
          [ACTIVITY.name, [...touched.keys()], [...touched.values()]],
        );
        await tx.query(
          `UPDATE projection_state SET feed_position = $2, updated_at = now() WHERE projection = $1`,
          [ACTIVITY.name, position],
        );
      }
      return {
        items: items.map(({ eventId: _e, subject: _s, ...record }) => record),
        skipped,
        gapFilled,
      };
    });
  }

  private async versions(tx: EntityManager, streams: readonly string[]): Promise<Map<string, number>> {
    const rows: { stream_id: string; version: number }[] = await tx.query(
      `SELECT stream_id, version FROM projection_streams WHERE projection = $1 AND stream_id = ANY($2::text[])`,
      [ACTIVITY.name, streams],
    );
    return new Map(rows.map((r) => [r.stream_id, r.version]));
  }

  private async reread(tx: EntityManager, streamId: string, from: number, to: number): Promise<FeedEvent[]> {
    const stored: EventEnvelope<string, unknown>[] = await this.store.readStream(
      streamId,
      { fromVersion: from, toVersion: to },
      tx,
    );
    if (stored.length !== to - from + 1) {
      throw new Error(`stream ${streamId}: versions ${from}..${to} are not all in the store yet`);
    }
    return stored.map(toFeedEvent);
  }
}

/** Reads of the activity read model: the ticker's history and resume source. */
export class ActivityFeed {
  constructor(private readonly db: DataSource) {}

  /** The newest `limit` visible items of a portal (site-wide items included) up to `upTo`, oldest first. */
  async latest(portal: string, limit: number, upTo = Number.MAX_SAFE_INTEGER): Promise<TickerItemRecord[]> {
    const rows: ActivityRow[] = await this.db.query(
      `SELECT ${ROW_COLUMNS} FROM ${ACTIVITY.table}
        WHERE (portal = $1 OR portal IS NULL) AND NOT retracted AND position <= $3
        ORDER BY position DESC LIMIT $2`,
      [portal, limit, upTo],
    );
    return rows.map(toTickerItemRecord).reverse();
  }

  /** All items with after < position <= upTo, in feed order (every portal). */
  async between(after: number, upTo: number, limit = 1000): Promise<TickerItemRecord[]> {
    const rows: ActivityRow[] = await this.db.query(
      `SELECT ${ROW_COLUMNS} FROM ${ACTIVITY.table}
        WHERE position > $1 AND position <= $2 ORDER BY position LIMIT $3`,
      [after, upTo, limit],
    );
    return rows.map(toTickerItemRecord);
  }

  /** The feed's head (last committed position) and how far items were published to the transport. */
  async state(): Promise<{ head: number; published: number }> {
    const rows: { feed_position: string; published_position: string }[] = await this.db.query(
      `SELECT feed_position, published_position FROM projection_state WHERE projection = $1`,
      [ACTIVITY.name],
    );
    return { head: Number(rows[0]?.feed_position ?? 0), published: Number(rows[0]?.published_position ?? 0) };
  }

  async markPublished(position: number): Promise<void> {
    await this.db.query(
      `UPDATE projection_state SET published_position = GREATEST(published_position, $2) WHERE projection = $1`,
      [ACTIVITY.name, position],
    );
  }
}
