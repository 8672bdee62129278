import { type EventData } from '@feedwerk/contracts';
import { type Decider } from '../shared/decider';
import { DomainError } from '../shared/errors';

export interface RegisterEmployer {
  readonly type: 'RegisterEmployer';
  readonly data: EventData<'EmployerRegistered'>;
}
export type EmployerCommand = RegisterEmployer;

export type EmployerEvent = {
  readonly type: 'EmployerRegistered';
  readonly data: EventData<'EmployerRegistered'>;
};

export type EmployerState =
  | { readonly status: 'unknown' }
  | { readonly status: 'registered'; readonly employerId: string; readonly name: string };

export class EmployerAlreadyRegisteredError extends DomainError {
  readonly kind = 'conflict';
  readonly code = 'employer.already-registered';
  constructor(employerId: string) {
    super(`employer ${employerId} is already registered`);
  }
}

export const employerDecider: Decider<EmployerCommand, EmployerEvent, EmployerState> = {
  initialState: { status: 'unknown' },

  decide(command, state) {
    switch (command.type) {
      case 'RegisterEmployer':
        if (state.status !== 'unknown') throw new EmployerAlreadyRegisteredError(command.data.employerId);
        return [{ type: 'EmployerRegistered', data: command.data }];
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'EmployerRegistered':
        return { status: 'registered', employerId: event.data.employerId, name: event.data.name };
    }
  },
};
