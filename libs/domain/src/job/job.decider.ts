import { type EventData, type JobChanges } from '@feedwerk/contracts';
import { type Decider } from '../shared/decider';
import { DomainError } from '../shared/errors';

export interface PostJob {
  readonly type: 'PostJob';
  readonly data: EventData<'JobPosted'>;
}
/** Partial changes by the acting employer; fields equal to the current values are not changes. */
export interface UpdateJob {
  readonly type: 'UpdateJob';
  readonly data: { readonly jobId: string; readonly employerId: string; readonly changes: JobChanges };
}
export interface CloseJob {
  readonly type: 'CloseJob';
  readonly data: {
    readonly jobId: string;
    readonly employerId: string;
    readonly reason: EventData<'JobClosed'>['reason'];
  };
}
export type JobCommand = PostJob | UpdateJob | CloseJob;

export type JobEvent =
  | { readonly type: 'JobPosted'; readonly data: EventData<'JobPosted'> }
  | { readonly type: 'JobUpdated'; readonly data: EventData<'JobUpdated'> }
  | { readonly type: 'JobClosed'; readonly data: EventData<'JobClosed'> };

/** The posted fields as they stand now (the posting plus every update). */
export type JobFields = EventData<'JobPosted'>;

export type JobState =
  | { readonly status: 'none' }
  | { readonly status: 'open'; readonly jobId: string; readonly employerId: string; readonly job: JobFields }
  | {
      readonly status: 'closed';
      readonly jobId: string;
      readonly employerId: string;
      readonly portal: string;
    };

export class JobAlreadyPostedError extends DomainError {
  constructor(jobId: string) {
    super('conflict', 'job.already-posted', `job ${jobId} is already posted`);
  }
}

export class JobNotFoundError extends DomainError {
  constructor(readonly jobIds: readonly string[]) {
    super('not-found', 'job.not-found', `no such job: ${jobIds.join(', ')}`);
  }
}

/** Another employer's job: 403, the tenant comes from the credential (see docs/decisions.md). */
export class NotYourJobError extends DomainError {
  constructor(readonly jobIds: readonly string[]) {
    super('forbidden', 'job.not-yours', `not your job: ${jobIds.join(', ')}`);
  }
}

export class JobClosedError extends DomainError {
  constructor(readonly jobIds: readonly string[]) {
    super('conflict', 'job.closed', `the job is closed and accepts no further change: ${jobIds.join(', ')}`);
  }
}

export class NothingToChangeError extends DomainError {
  constructor(jobId: string) {
    super(
      'unprocessable',
      'job.no-change',
      `the update changes nothing on job ${jobId}: every given field already has that value`,
    );
  }
}

/** Structural equality of JSON-like values (the job's fields are plain data). */
const sameValue = (a: unknown, b: unknown): boolean => {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  return (
    keysA.length === keysB.length &&
    keysA.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  );
};

/** The part of `changes` that differs from the job's current fields. */
export function effectiveChanges(job: JobFields, changes: JobChanges): JobChanges {
  const changed: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(changes)) {
    if (value === undefined) continue;
    if (!sameValue(job[field as keyof JobFields], value)) changed[field] = value;
  }
  return changed;
}

/** Who may act on the job and whether it still exists: checked before any other rule. */
export function requireOwnJob(
  state: JobState,
  jobId: string,
  employerId: string,
): Exclude<JobState, { status: 'none' }> {
  if (state.status === 'none') throw new JobNotFoundError([jobId]);
  if (state.employerId !== employerId) throw new NotYourJobError([jobId]);
  return state;
}

export const jobDecider: Decider<JobCommand, JobEvent, JobState> = {
  initialState: { status: 'none' },
  eventTypes: { JobPosted: true, JobUpdated: true, JobClosed: true },

  decide(command, state) {
    switch (command.type) {
      case 'PostJob':
        if (state.status !== 'none') throw new JobAlreadyPostedError(command.data.jobId);
        return [{ type: 'JobPosted', data: command.data }];

      case 'UpdateJob': {
        const { jobId, employerId, changes } = command.data;
        const job = requireOwnJob(state, jobId, employerId);
        if (job.status === 'closed') throw new JobClosedError([jobId]);
        const changed = effectiveChanges(job.job, changes);
        if (Object.keys(changed).length === 0) throw new NothingToChangeError(jobId);
        const after = { ...job.job, ...changed };
        return [
          {
            type: 'JobUpdated',
            data: {
              jobId,
              employerId,
              portal: after.portal,
              region: after.location.region,
              category: after.category,
              changes: changed,
            },
          },
        ];
      }

      case 'CloseJob': {
        const { jobId, employerId, reason } = command.data;
        const job = requireOwnJob(state, jobId, employerId);
        if (job.status === 'closed') throw new JobClosedError([jobId]);
        return [{ type: 'JobClosed', data: { jobId, employerId, portal: job.job.portal, reason } }];
      }
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'JobPosted':
        return {
          status: 'open',
          jobId: event.data.jobId,
          employerId: event.data.employerId,
          job: event.data,
        };
      case 'JobUpdated':
        if (state.status !== 'open') return state;
        return { ...state, job: { ...state.job, ...event.data.changes } };
      case 'JobClosed':
        return {
          status: 'closed',
          jobId: event.data.jobId,
          employerId: event.data.employerId,
          portal: event.data.portal,
        };
    }
  },
};
