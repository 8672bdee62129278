import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { requireOwnJob } from '@feedwerk/domain';
import { EventStore } from '@feedwerk/event-store';
import { jobs } from '../../shared/aggregates';
import { DeciderCommandHandler } from '../../shared/decider-command-handler';
import { requireVersion } from '../../shared/if-match';
import { type JobVersionResult } from '../../shared/parse';
import { CloseJobCommand } from './close-job.command';

const handle = DeciderCommandHandler(jobs);

/** A concurrent change surfaces as 409 (version-conflict): the caller re-reads and decides again. */
@CommandHandler(CloseJobCommand)
export class CloseJobHandler implements ICommandHandler<CloseJobCommand> {
  constructor(private readonly store: EventStore) {}

  execute({ employerId, jobId, input, ifMatch, context }: CloseJobCommand): Promise<JobVersionResult> {
    return handle(
      this.store,
      jobId,
      ({ state, version }) => {
        requireOwnJob(state, jobId, employerId);
        if (ifMatch !== null) requireVersion(ifMatch, version);
        return { type: 'CloseJob', data: { jobId, employerId, reason: input.reason } };
      },
      { context, respond: ({ version }) => ({ jobId, version }) },
    );
  }
}
