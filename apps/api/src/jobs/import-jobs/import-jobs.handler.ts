import { randomUUID } from 'node:crypto';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { decideImport } from '@feedwerk/domain';
import { EventStore } from '@feedwerk/event-store';
import { jobs } from '../../shared/aggregates';
import { appendDecided } from '../../shared/decider-command-handler';
import { answerOnce } from '../../shared/idempotency';
import { ImportJobsCommand, type ImportJobsResult } from './import-jobs.command';

/** Every imported job in its own stream, all of them in one transaction: the import lands whole or not at all. */
@CommandHandler(ImportJobsCommand)
export class ImportJobsHandler implements ICommandHandler<ImportJobsCommand> {
  constructor(private readonly store: EventStore) {}

  execute({ employerId, input, context }: ImportJobsCommand): Promise<ImportJobsResult> {
    return answerOnce(this.store, context, () => {
      const decided = decideImport(
        input.jobs.map((job) => ({ ...job, jobId: randomUUID(), employerId, source: 'import' as const })),
        { now: context.now },
      );
      const streams = decided.map(({ jobId, event }) => ({
        streamId: jobs.mapToStreamId(jobId),
        expectedVersion: 'no_stream' as const,
        events: [event],
      }));
      return appendDecided(this.store, streams, {
        context,
        respond: (appended) => ({
          count: appended.length,
          jobs: appended.map((e) => ({ jobId: e.streamId.slice('job:'.length), version: e.streamPosition })),
        }),
      });
    });
  }
}
