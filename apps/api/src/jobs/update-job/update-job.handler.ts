import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { requireOwnJob } from '@feedwerk/domain';
import { EventStore } from '@feedwerk/event-store';
import { jobs } from '../../shared/aggregates';
import { DeciderCommandHandler } from '../../shared/decider-command-handler';
import { requireVersion, staleVersion } from '../../shared/if-match';
import { type JobVersionResult } from '../../shared/parse';
import { UpdateJobCommand } from './update-job.command';

const handle = DeciderCommandHandler(jobs);

@CommandHandler(UpdateJobCommand)
export class UpdateJobHandler implements ICommandHandler<UpdateJobCommand> {
  constructor(private readonly store: EventStore) {}

  execute({ employerId, jobId, changes, ifMatch, context }: UpdateJobCommand): Promise<JobVersionResult> {
    return handle(
      this.store,
      jobId,
      ({ state, version }) => {
        // Who may see the job's version comes first: a stranger learns nothing from a 412.
        requireOwnJob(state, jobId, employerId);
        requireVersion(ifMatch, version);
        return { type: 'UpdateJob', data: { jobId, employerId, changes } };
      },
      {
        context,
        // Another change committed between our read and our append: the caller's version is stale.
        onConflict: (error) => staleVersion(ifMatch, error.actual),
        respond: ({ version }) => ({ jobId, version }),
      },
    );
  }
}
