import { ALL_EVENT_CATEGORIES, Topics } from '@feedwerk/contracts';
import { crashPoint } from '@feedwerk/platform';
import { type ActivityProjection } from '@feedwerk/read-models';
import { type ProjectorDefinition } from './projector';
import { type TickerItemPublisher } from './ticker-item.publisher';

export const ACTIVITY_GROUP = 'projector.activity';

/**
 * Every event topic, in consumer group `projector.activity`, folded into the activity read model.
 * The feed changes it commits are published by the ticker item publisher, woken at once.
 */
export const activityProjector = (
  projection: ActivityProjection,
  publisher: TickerItemPublisher,
): ProjectorDefinition<Awaited<ReturnType<ActivityProjection['handle']>>> => ({
  group: ACTIVITY_GROUP,
  topics: ALL_EVENT_CATEGORIES.map((c) => Topics.events(c)),
  projection,
  afterCommit: (result) => {
    // Applied and committed, offsets not yet committed: the window that must not double an effect.
    crashPoint('projector.afterApply');
    if (result.changes.length > 0) publisher.wakeUp();
  },
});
