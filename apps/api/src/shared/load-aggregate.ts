import { type FeedDomainEvent, toFeedEvent } from '@feedwerk/contracts';
import { foldStream } from '@feedwerk/domain';
import { type EventStore, type StoredEvent } from '@feedwerk/event-store';
import { type AggregateStream } from './aggregates';

/** One aggregate at a version: what a command is decided on, and what it answers from. */
export interface AggregateAt<TState> {
  readonly state: TState;
  /** The stream's version: the position of its last event, 0 while it has none. */
  readonly version: number;
  /** The stream's events up to that version. */
  readonly history: readonly StoredEvent[];
}

/** The aggregate at its current version, folded from its own stream by the domain's evolve. */
export async function loadAggregate<TEvent extends FeedDomainEvent, TState>(
  store: EventStore,
  { decider, mapToStreamId }: AggregateStream<unknown, TEvent, TState>,
  id: string,
): Promise<AggregateAt<TState>> {
  const history = await store.readStream(mapToStreamId(id));
  return {
    state: foldStream(decider, history.map(toFeedEvent)),
    version: history.at(-1)?.streamPosition ?? 0,
    history,
  };
}

/** The current states of several aggregates of one kind, read in one query (a bulk command). */
export async function loadStates<TEvent extends FeedDomainEvent, TState>(
  store: EventStore,
  { decider, mapToStreamId }: AggregateStream<unknown, TEvent, TState>,
  ids: readonly string[],
): Promise<Map<string, TState>> {
  const streams = await store.readStreams(ids.map((id) => mapToStreamId(id)));
  return new Map(
    ids.map((id) => [id, foldStream(decider, (streams.get(mapToStreamId(id)) ?? []).map(toFeedEvent))]),
  );
}
