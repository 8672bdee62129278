import { type FeedDomainEvent, StreamIds } from '@feedwerk/contracts';
import {
  blogPostDecider,
  candidateDecider,
  type Decider,
  employerDecider,
  jobDecider,
} from '@feedwerk/domain';

/**
 * An aggregate as the command side reads and writes it: its pure decider and the stream one
 * instance lives in (`mapToStreamId`, as Emmett names it). Commands decide on these streams, never
 * on a read model (which may lag).
 */
export interface AggregateStream<TCommand, TEvent extends FeedDomainEvent, TState> {
  readonly decider: Decider<TCommand, TEvent, TState>;
  readonly mapToStreamId: (id: string) => string;
}

const aggregate = <TCommand, TEvent extends FeedDomainEvent, TState>(
  decider: Decider<TCommand, TEvent, TState>,
  mapToStreamId: (id: string) => string,
): AggregateStream<TCommand, TEvent, TState> => ({ decider, mapToStreamId });

export const jobs = aggregate(jobDecider, StreamIds.job);
export const employers = aggregate(employerDecider, StreamIds.employer);
export const candidates = aggregate(candidateDecider, StreamIds.candidate);
/** Keyed by slug: a second post under a taken slug is a version conflict. */
export const blogPosts = aggregate(blogPostDecider, StreamIds.blogPost);
