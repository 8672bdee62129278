import { randomUUID } from 'node:crypto';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { currentSchemaVersion, StreamIds } from '@feedwerk/contracts';
import { decideImport } from '@feedwerk/domain';
import { EventStore } from '@feedwerk/event-store';
import { metadataOf } from '../../shared/command-context';
import { replayIfRetried } from '../../shared/idempotency';
import { ImportJobsCommand, type ImportJobsResult } from './import-jobs.command';

/** Every imported job in its own stream, all of them in one transaction: the import lands whole or not at all. */
@CommandHandler(ImportJobsCommand)
export class ImportJobsHandler implements ICommandHandler<ImportJobsCommand> {
  constructor(private readonly store: EventStore) {}

  async execute({ employerId, input, context }: ImportJobsCommand): Promise<ImportJobsResult> {
    const replayed = await replayIfRetried<ImportJobsResult>(this.store, context);
    if (replayed) return replayed;

    const decided = decideImport(
      input.jobs.map((job) => ({ ...job, jobId: randomUUID(), employerId, source: 'import' as const })),
      { now: context.now },
    );
    const outcome = await this.store.appendMany({
      streams: decided.map(({ jobId, event }) => ({
        streamId: StreamIds.job(jobId),
        expectedVersion: 'no_stream' as const,
        events: [{ ...event, schemaVersion: currentSchemaVersion(event.type) }],
      })),
      metadata: metadataOf(context),
      now: context.now,
      idempotency: context.idempotency,
      respond: (appended) => ({
        count: appended.length,
        jobs: appended.map((e) => ({ jobId: e.streamId.slice('job:'.length), version: e.streamPosition })),
      }),
    });
    return outcome.result;
  }
}
