import { type FeedEvent, type TickerChangeRecord } from '@feedwerk/contracts';
import { type EventStore } from '@feedwerk/event-store';
import { type DataSource, type EntityManager } from 'typeorm';
import { liveGeneration } from '../generations/generations';
import { type Projection } from '../projection/projection';
import { streamVersions } from '../projection/projection-streams';
import { inStreamOrder } from '../stream-order';
import { ActivityBuilder } from './activity.builder';
import { ActivityModel, type ActivityOptions, DEFAULT_BURST_WINDOW_MS } from './activity.fold';
import { loadWholeActivityState } from './activity.rebuild-store';
import { foldBatch, loadActivityState, saveActivityBatch } from './activity.store';
import { ACTIVITY_VERSION, activityTables } from './activity.tables';

export interface ActivityResult {
  /** The feed's new changes, in position order. */
  readonly changes: readonly TickerChangeRecord[];
  /** Events already applied before (redeliveries). */
  readonly skipped: number;
  /** Events re-read from the store because the transport delivered a later version first. */
  readonly gapFilled: number;
}

export interface ActivityProjectionOptions extends ActivityOptions {
  /**
   * The newest changes a rebuilt generation keeps in its change log (older ones are never served:
   * ActivityFeed.open answers a `since` before the retained log with a snapshot).
   */
  readonly retainChanges: number;
}

/**
 * Folds events into the box (ActivityModel, pure) and stores its changes and items in PostgreSQL.
 * Guarantees:
 * - Exactly-once effect: each stream's last applied version is stored in the same transaction as
 *   the changes, so a redelivered event changes nothing and a crash before commit changes nothing.
 * - Per-stream order: a version ahead of the next expected one makes the projection re-read the
 *   missing versions from the event store first (a gap is filled, never skipped).
 * - Feed positions are gapless and commit-ordered: every batch locks the projection's counter row,
 *   so concurrent projector instances take turns and a rolled-back batch returns its positions.
 * - Deterministic: the fold uses only the events (ids, times), so a rebuild gives the same feed.
 */
export class ActivityProjection implements Projection<ActivityResult> {
  readonly name = 'activity';
  readonly version = ACTIVITY_VERSION;
  readonly bulkLoad = true;
  private readonly options: ActivityProjectionOptions;

  constructor(
    private readonly db: DataSource,
    private readonly store: EventStore,
    options: Partial<ActivityProjectionOptions> = {},
  ) {
    this.options = {
      burstWindowMs: options.burstWindowMs ?? DEFAULT_BURST_WINDOW_MS,
      retainChanges: options.retainChanges ?? 10_000,
    };
  }

  tables(generation: number): readonly string[] {
    const t = activityTables(generation);
    return [t.changes, t.items, t.slots, t.members];
  }

  leftovers(generation: number): readonly string[] {
    return [activityTables(generation).stagedVersions];
  }

  async handle(events: readonly FeedEvent[]): Promise<ActivityResult> {
    if (events.length === 0) return { changes: [], skipped: 0, gapFilled: 0 };
    return this.db.transaction(async (tx) => {
      // The live generation, locked for this batch: a switch waits for it, or it waits for the switch.
      const t = activityTables(await liveGeneration(tx, 'activity', 'share'));
      const counter: { feed_position: string }[] = await tx.query(
        `SELECT feed_position FROM projection_state WHERE projection = $1 FOR UPDATE`,
        [t.name],
      );
      if (!counter[0]) throw new Error(`projection ${t.name} is not initialised (migrations not run?)`);
      const versions = await streamVersions(tx, t.name, [...new Set(events.map((e) => e.streamId))]);
      const touched = new Map<string, number>();
      const apply: FeedEvent[] = [];
      let skipped = 0;
      let gapFilled = 0;

      for (const event of events) {
        const next = await inStreamOrder(this.store, tx, versions, event);
        if (next.kind === 'seen') {
          skipped += 1;
          continue;
        }
        gapFilled += next.gapFilled;
        apply.push(...next.events);
        touched.set(event.streamId, event.streamPosition);
      }
      if (apply.length === 0) return { changes: [], skipped, gapFilled };

      const model = new ActivityModel(this.options, Number(counter[0].feed_position));
      await loadActivityState(tx, t, model, apply);
      const { changes, causes } = foldBatch(model, apply);
      await saveActivityBatch(tx, t, model, changes, causes, touched);
      return { changes, skipped, gapFilled };
    });
  }

  /** The generation's feed counter: positions start at 1 again (a rebuild renumbers the feed). */
  async initGeneration(tx: EntityManager, generation: number): Promise<void> {
    await tx.query(
      `INSERT INTO projection_state (projection) VALUES ($1)
       ON CONFLICT (projection) DO UPDATE SET feed_position = 0, published_position = 0, updated_at = now()`,
      [activityTables(generation).name],
    );
  }

  async builder(tx: EntityManager, generation: number, resumed: boolean): Promise<ActivityBuilder> {
    const t = activityTables(generation);
    const position: { feed_position: string }[] = await tx.query(
      `SELECT feed_position FROM projection_state WHERE projection = $1`,
      [t.name],
    );
    const model = new ActivityModel(this.options, Number(position[0]?.feed_position ?? 0));
    if (resumed) await loadWholeActivityState(tx, t, model);
    return new ActivityBuilder(this.store, t, model, this.options.retainChanges);
  }

  /** The new feed's history is not published again: ticker clients resync to it instead. */
  async switched(tx: EntityManager, generation: number): Promise<void> {
    await tx.query(
      `UPDATE projection_state SET published_position = feed_position, updated_at = now() WHERE projection = $1`,
      [activityTables(generation).name],
    );
  }
}
