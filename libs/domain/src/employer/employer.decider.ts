import { type EventData, MAX_REFRESH_JOBS } from '@feedwerk/contracts';
import { type Decider } from '../shared/decider';
import { DomainError } from '../shared/errors';
import { JobClosedError, JobNotFoundError, type JobState, NotYourJobError } from '../job/job.decider';

export interface RegisterEmployer {
  readonly type: 'RegisterEmployer';
  readonly data: EventData<'EmployerRegistered'>;
}

/**
 * RefreshJobs: one decision over the employer and the current states of the listed jobs (loaded
 * by the shell; a job missing from `jobs` is unknown). Duplicate ids are refreshed once.
 */
export interface RefreshJobs {
  readonly type: 'RefreshJobs';
  readonly data: {
    readonly refreshId: string;
    readonly employerId: string;
    readonly jobIds: readonly string[];
    readonly jobs: ReadonlyMap<string, JobState>;
  };
}
export type EmployerCommand = RegisterEmployer | RefreshJobs;

export type EmployerEvent =
  | { readonly type: 'EmployerRegistered'; readonly data: EventData<'EmployerRegistered'> }
  | { readonly type: 'JobsRefreshed'; readonly data: EventData<'JobsRefreshed'> };

export type EmployerState =
  | { readonly status: 'unknown' }
  | { readonly status: 'registered'; readonly employerId: string; readonly name: string };

export class EmployerAlreadyRegisteredError extends DomainError {
  constructor(employerId: string) {
    super('conflict', 'employer.already-registered', `employer ${employerId} is already registered`);
  }
}

export class EmployerNotRegisteredError extends DomainError {
  constructor(employerId: string) {
    super('forbidden', 'employer.not-registered', `employer ${employerId} is not registered`);
  }
}

export class RefreshSizeError extends DomainError {
  constructor(count: number) {
    super(
      'unprocessable',
      'refresh.size',
      `a refresh lists 1 to ${MAX_REFRESH_JOBS} distinct jobs, got ${count}`,
    );
  }
}

/**
 * All or nothing, checked in this order so that the answer never depends on the order of the ids:
 * any unknown id → 404 (listing them), any other employer's job → 403, any closed job → 409.
 */
function decideRefresh(command: RefreshJobs['data'], state: EmployerState): EmployerEvent[] {
  if (state.status !== 'registered' || state.employerId !== command.employerId)
    throw new EmployerNotRegisteredError(command.employerId);
  const jobIds = [...new Set(command.jobIds)];
  if (jobIds.length === 0 || jobIds.length > MAX_REFRESH_JOBS) throw new RefreshSizeError(jobIds.length);
  const states = jobIds.map((jobId) => ({ jobId, state: command.jobs.get(jobId) ?? { status: 'none' } }));
  const unknown = states.filter((j) => j.state.status === 'none').map((j) => j.jobId);
  if (unknown.length > 0) throw new JobNotFoundError(unknown);
  const foreign = states
    .filter((j) => j.state.status !== 'none' && j.state.employerId !== command.employerId)
    .map((j) => j.jobId);
  if (foreign.length > 0) throw new NotYourJobError(foreign);
  const closed = states.filter((j) => j.state.status === 'closed').map((j) => j.jobId);
  if (closed.length > 0) throw new JobClosedError(closed);

  const perPortal = new Map<string, number>();
  for (const { state: job } of states) {
    if (job.status !== 'open') continue;
    perPortal.set(job.job.portal, (perPortal.get(job.job.portal) ?? 0) + 1);
  }
  return [
    {
      type: 'JobsRefreshed',
      data: {
        refreshId: command.refreshId,
        employerId: command.employerId,
        jobIds,
        count: jobIds.length,
        portals: [...perPortal].map(([portal, count]) => ({ portal, count })),
      },
    },
  ];
}

export const employerDecider: Decider<EmployerCommand, EmployerEvent, EmployerState> = {
  initialState: { status: 'unknown' },
  eventTypes: { EmployerRegistered: true, JobsRefreshed: true },

  decide(command, state) {
    switch (command.type) {
      case 'RegisterEmployer':
        if (state.status !== 'unknown') throw new EmployerAlreadyRegisteredError(command.data.employerId);
        return [{ type: 'EmployerRegistered', data: command.data }];
      case 'RefreshJobs':
        return decideRefresh(command.data, state);
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'EmployerRegistered':
        return { status: 'registered', employerId: event.data.employerId, name: event.data.name };
      case 'JobsRefreshed':
        return state;
    }
  },
};
