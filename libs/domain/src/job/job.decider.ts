import { type EventData } from '@feedwerk/contracts';
import { type Decider } from '../shared/decider';
import { DomainError } from '../shared/errors';

export interface PostJob {
  readonly type: 'PostJob';
  readonly data: EventData<'JobPosted'>;
}
export type JobCommand = PostJob;

export type JobEvent = { readonly type: 'JobPosted'; readonly data: EventData<'JobPosted'> };

export type JobState =
  | { readonly status: 'none' }
  | { readonly status: 'live'; readonly jobId: string; readonly employerId: string; readonly portal: string };

export class JobAlreadyPostedError extends DomainError {
  readonly kind = 'conflict';
  readonly code = 'job.already-posted';
  constructor(jobId: string) {
    super(`job ${jobId} is already posted`);
  }
}

export const jobDecider: Decider<JobCommand, JobEvent, JobState> = {
  initialState: { status: 'none' },

  decide(command, state) {
    switch (command.type) {
      case 'PostJob':
        if (state.status !== 'none') throw new JobAlreadyPostedError(command.data.jobId);
        return [{ type: 'JobPosted', data: command.data }];
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'JobPosted':
        return {
          status: 'live',
          jobId: event.data.jobId,
          employerId: event.data.employerId,
          portal: event.data.portal,
        };
    }
  },
};
