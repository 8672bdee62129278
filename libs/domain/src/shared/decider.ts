import { type DomainEvent } from '@feedwerk/contracts';

/** The time a decision is made at; injected so that decisions are reproducible in specs. */
export interface DecisionContext {
  readonly now: Date;
}

/**
 * A pure aggregate: `decide` turns a command and the current state into new events (or throws a
 * DomainError), `evolve` folds one event into the state. No I/O, no clock, no randomness: ids and
 * time come in with the command and the context.
 */
export interface Decider<TCommand, TEvent extends DomainEvent, TState> {
  readonly initialState: TState;
  /**
   * Every event type `evolve` folds (a record, so that the compiler names a type left out). A
   * stream is folded with these only: what else it may hold is not this aggregate's.
   */
  readonly eventTypes: Readonly<Record<TEvent['type'], true>>;
  decide(command: TCommand, state: TState, context: DecisionContext): readonly TEvent[];
  evolve(state: TState, event: TEvent): TState;
}

type Folding<TEvent extends DomainEvent, TState> = Pick<
  Decider<unknown, TEvent, TState>,
  'evolve' | 'initialState' | 'eventTypes'
>;

export const fold = <TEvent extends DomainEvent, TState>(
  decider: Pick<Folding<TEvent, TState>, 'evolve' | 'initialState'>,
  events: readonly TEvent[],
): TState => events.reduce((state, event) => decider.evolve(state, event), decider.initialState);

/**
 * The state of one aggregate from its stream's events (upcast, of any type): the one fold every
 * shell uses, so that the state an operator inspects is the state a command is decided on.
 */
export const foldStream = <TEvent extends DomainEvent, TState>(
  decider: Folding<TEvent, TState>,
  events: readonly DomainEvent[],
): TState =>
  fold(
    decider,
    events.filter((event): event is TEvent => Object.hasOwn(decider.eventTypes, event.type)),
  );
