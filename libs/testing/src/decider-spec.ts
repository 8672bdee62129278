import { type DomainEvent } from '@feedwerk/contracts';
import { type Decider, fold } from '@feedwerk/domain';

type ErrorClass = new (...args: never[]) => Error;

/**
 * Given/when/then for pure deciders:
 *   const given = spec(jobDecider).at(T0);
 *   given(jobPosted()).when(postJob()).thenThrows(JobAlreadyPostedError);
 */
export function spec<TCommand, TEvent extends DomainEvent, TState>(
  decider: Decider<TCommand, TEvent, TState>,
) {
  return {
    at(now: Date) {
      return (...history: TEvent[]) => ({
        when(command: TCommand) {
          const run = () => decider.decide(command, fold(decider, history), { now });
          return {
            then(expected: readonly TEvent[]): void {
              expect(run()).toEqual(expected);
            },
            thenThrows(error: ErrorClass): void {
              expect(run).toThrow(error);
            },
          };
        },
      });
    },
  };
}
