import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { EventStore } from '@feedwerk/event-store';
import { type JobVersionResult } from '../../shared/parse';
import { changeOwnJob } from '../own-job';
import { CloseJobCommand } from './close-job.command';

/** A concurrent change surfaces as 409 (version-conflict): the caller re-reads and decides again. */
@CommandHandler(CloseJobCommand)
export class CloseJobHandler implements ICommandHandler<CloseJobCommand> {
  constructor(private readonly store: EventStore) {}

  execute(request: CloseJobCommand): Promise<JobVersionResult> {
    const { employerId, jobId, input } = request;
    return changeOwnJob(this.store, request, {
      type: 'CloseJob',
      data: { jobId, employerId, reason: input.reason },
    });
  }
}
