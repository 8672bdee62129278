import { randomUUID } from 'node:crypto';
import { type EventStore } from '@feedwerk/event-store';
import {
  type ActivityProjectionOptions,
  ActivityFeed,
  type FeedState,
  RebuildEngine,
  type RebuildEngineOptions,
  readModelProjections,
} from '@feedwerk/read-models';
import { type DataSource } from 'typeorm';

/**
 * Rebuilds the activity projection with the real engine and switches it live, as the admin app's
 * builder does: a new generation is folded from every event in the store beside the live one, then
 * projection_live points at it and its history counts as published (it is not published again).
 * Returns the feed's state right after the switch (the new generation, its head, published = head).
 *
 * Pass the options the "new" projection is built with (e.g. another burst window, so that the new
 * generation's box differs visibly from the old one); live projectors writing after the switch
 * write into the new generation.
 */
export async function rebuildActivity(
  db: DataSource,
  store: EventStore,
  options: Partial<ActivityProjectionOptions> & RebuildEngineOptions = {},
): Promise<FeedState> {
  const engine = rebuildEngine(db, store, options);
  const { id } = await engine.request('activity', randomUUID(), 'test');
  const outcome = await engine.run(id);
  if (outcome !== 'live') throw new Error(`the rebuild of activity ended ${outcome}, not live`);
  return new ActivityFeed(db).state();
}

/** A rebuild engine over every read model of this codebase, the activity one built with `options`. */
export const rebuildEngine = (
  db: DataSource,
  store: EventStore,
  options: Partial<ActivityProjectionOptions> & RebuildEngineOptions = {},
): RebuildEngine => new RebuildEngine(db, store, readModelProjections(db, store, options), options);
