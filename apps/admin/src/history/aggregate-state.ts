import { type FeedEvent } from '@feedwerk/contracts';
import { blogPostDecider, candidateDecider, employerDecider, foldStream, jobDecider } from '@feedwerk/domain';

/**
 * Stream prefix → the domain's own fold (the one the api loads aggregates with): the state an admin
 * sees is the state a command would be decided on. Only the aggregate's own event types are folded.
 */
const AGGREGATES: Readonly<Record<string, (events: readonly FeedEvent[]) => unknown>> = {
  job: (events) => foldStream(jobDecider, events),
  employer: (events) => foldStream(employerDecider, events),
  candidate: (events) => foldStream(candidateDecider, events),
  blog: (events) => foldStream(blogPostDecider, events),
};

export const AGGREGATE_NAMES = Object.keys(AGGREGATES);

export const aggregateOf = (streamId: string): string | null => {
  const prefix = streamId.slice(0, streamId.indexOf(':'));
  return Object.hasOwn(AGGREGATES, prefix) ? prefix : null;
};

/** Folds a stream's (upcast) events with its aggregate's evolve. */
export function foldAggregate(aggregate: string, events: readonly FeedEvent[]): unknown {
  const fold = AGGREGATES[aggregate];
  if (!fold) throw new Error(`no aggregate ${aggregate}`);
  return fold(events);
}
