import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { EventStore } from '@feedwerk/event-store';
import { staleVersion } from '../../shared/if-match';
import { type JobVersionResult } from '../../shared/parse';
import { changeOwnJob } from '../own-job';
import { UpdateJobCommand } from './update-job.command';

@CommandHandler(UpdateJobCommand)
export class UpdateJobHandler implements ICommandHandler<UpdateJobCommand> {
  constructor(private readonly store: EventStore) {}

  execute(request: UpdateJobCommand): Promise<JobVersionResult> {
    const { employerId, jobId, changes, ifMatch } = request;
    return changeOwnJob(
      this.store,
      request,
      { type: 'UpdateJob', data: { jobId, employerId, changes } },
      // Another change committed between our read and our append: the caller's version is stale.
      (error) => staleVersion(ifMatch, error.actual),
    );
  }
}
