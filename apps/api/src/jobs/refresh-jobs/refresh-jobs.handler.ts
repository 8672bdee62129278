import { randomUUID } from 'node:crypto';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { EventStore } from '@feedwerk/event-store';
import { employers, jobs } from '../../shared/aggregates';
import { DeciderCommandHandler } from '../../shared/decider-command-handler';
import { loadStates } from '../../shared/load-aggregate';
import { RefreshJobsCommand, type RefreshJobsResult } from './refresh-jobs.command';

const handle = DeciderCommandHandler(employers);

/**
 * One JobsRefreshed on the employer's stream for the whole batch, decided over the employer and the
 * listed jobs' own streams. The append guards the employer's version only: a job closed in the
 * milliseconds between our read and our commit is still recorded as refreshed, which the read model
 * ignores (it stamps open jobs only).
 */
@CommandHandler(RefreshJobsCommand)
export class RefreshJobsHandler implements ICommandHandler<RefreshJobsCommand> {
  constructor(private readonly store: EventStore) {}

  execute({ employerId, input, context }: RefreshJobsCommand): Promise<RefreshJobsResult> {
    const jobIds = [...new Set(input.jobIds)];
    const refreshId = randomUUID();
    return handle(
      this.store,
      employerId,
      async () => ({
        type: 'RefreshJobs',
        data: { refreshId, employerId, jobIds, jobs: await loadStates(this.store, jobs, jobIds) },
      }),
      { context, respond: () => ({ refreshId, count: jobIds.length, jobIds }) },
    );
  }
}
