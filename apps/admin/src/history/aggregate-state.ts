import { type DomainEvent, type EventType, type FeedEvent } from '@feedwerk/contracts';
import { blogPostDecider, candidateDecider, employerDecider, jobDecider } from '@feedwerk/domain';

interface Evolver {
  readonly initialState: unknown;
  evolve(state: unknown, event: DomainEvent): unknown;
  /** The events this aggregate's stream holds; anything else in it is not folded. */
  readonly types: ReadonlySet<EventType>;
}

const evolver = <TEvent extends DomainEvent, TState>(
  decider: { initialState: TState; evolve(state: TState, event: TEvent): TState },
  types: readonly EventType[],
): Evolver => ({
  initialState: decider.initialState,
  // The stream's type decides which decider folds it, and only its own event types reach it.
  evolve: (state, event) => decider.evolve(state as TState, event as TEvent),
  types: new Set(types),
});

/** Stream prefix → the domain's own evolve: the state an admin sees is the state a command would be decided on. */
const AGGREGATES: Readonly<Record<string, Evolver>> = {
  job: evolver(jobDecider, ['JobPosted', 'JobUpdated', 'JobClosed']),
  employer: evolver(employerDecider, ['EmployerRegistered', 'JobsRefreshed']),
  candidate: evolver(candidateDecider, ['CvUploaded', 'CandidateErased']),
  blog: evolver(blogPostDecider, ['BlogPostPublished']),
};

export const AGGREGATE_NAMES = Object.keys(AGGREGATES);

export const aggregateOf = (streamId: string): string | null => {
  const prefix = streamId.slice(0, streamId.indexOf(':'));
  return Object.hasOwn(AGGREGATES, prefix) ? prefix : null;
};

/** Folds a stream's (upcast) events with its aggregate's evolve. */
export function foldAggregate(aggregate: string, events: readonly FeedEvent[]): unknown {
  const definition = AGGREGATES[aggregate];
  if (!definition) throw new Error(`no aggregate ${aggregate}`);
  return events
    .filter((event) => definition.types.has(event.type))
    .reduce((state, event) => definition.evolve(state, event), definition.initialState);
}
