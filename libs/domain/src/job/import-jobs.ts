import { type EventData } from '@feedwerk/contracts';
import { type DecisionContext } from '../shared/decider';
import { DomainError } from '../shared/errors';
import { jobDecider, type JobEvent } from './job.decider';

/** At most this many jobs arrive in one import call (one database transaction). */
export const MAX_IMPORT_JOBS = 500;

export class InvalidImportError extends DomainError {
  constructor(detail: string) {
    super('unprocessable', 'import.invalid', detail);
  }
}

/**
 * ImportJobs: a partner feed posts up to 500 new jobs at once. Each becomes its own JobPosted with
 * source=import in its own stream; the shell appends them all in one transaction (all or nothing).
 */
export function decideImport(
  jobs: readonly EventData<'JobPosted'>[],
  context: DecisionContext,
): readonly { readonly jobId: string; readonly event: JobEvent }[] {
  if (jobs.length === 0 || jobs.length > MAX_IMPORT_JOBS)
    throw new InvalidImportError(`an import holds 1 to ${MAX_IMPORT_JOBS} jobs, got ${jobs.length}`);
  if (new Set(jobs.map((j) => j.jobId)).size !== jobs.length)
    throw new InvalidImportError('an import must not repeat a job id');
  return jobs.map((job) => {
    if (job.source !== 'import') throw new InvalidImportError('imported jobs have source=import');
    const [event] = jobDecider.decide({ type: 'PostJob', data: job }, jobDecider.initialState, context);
    if (!event) throw new Error('PostJob decided no event');
    return { jobId: job.jobId, event };
  });
}
