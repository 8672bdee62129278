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
  decide(command: TCommand, state: TState, context: DecisionContext): readonly TEvent[];
  evolve(state: TState, event: TEvent): TState;
}

export const fold = <TEvent extends DomainEvent, TState>(
  decider: Pick<Decider<unknown, TEvent, TState>, 'evolve' | 'initialState'>,
  events: readonly TEvent[],
): TState => events.reduce((state, event) => decider.evolve(state, event), decider.initialState);
