import { randomUUID } from 'node:crypto';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { EventStore } from '@feedwerk/event-store';
import { jobs } from '../../shared/aggregates';
import { DeciderCommandHandler } from '../../shared/decider-command-handler';
import { PostJobCommand, type PostJobResult } from './post-job.command';

const handle = DeciderCommandHandler(jobs);

@CommandHandler(PostJobCommand)
export class PostJobHandler implements ICommandHandler<PostJobCommand> {
  constructor(private readonly store: EventStore) {}

  execute({ employerId, input, context }: PostJobCommand): Promise<PostJobResult> {
    const jobId = randomUUID();
    return handle(
      this.store,
      jobId,
      () => ({ type: 'PostJob', data: { jobId, employerId, source: 'direct', ...input } }),
      { context, fresh: true, respond: ({ version }) => ({ jobId, version }) },
    );
  }
}
