import { randomUUID } from 'node:crypto';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { currentSchemaVersion, StreamIds } from '@feedwerk/contracts';
import { jobDecider } from '@feedwerk/domain';
import { EventStore } from '@feedwerk/event-store';
import { metadataOf } from '../../shared/command-context';
import { replayIfRetried } from '../../shared/idempotency';
import { PostJobCommand, type PostJobResult } from './post-job.command';

@CommandHandler(PostJobCommand)
export class PostJobHandler implements ICommandHandler<PostJobCommand> {
  constructor(private readonly store: EventStore) {}

  async execute({ employerId, input, context }: PostJobCommand): Promise<PostJobResult> {
    const replayed = await replayIfRetried<PostJobResult>(this.store, context);
    if (replayed) return replayed;

    const jobId = randomUUID();
    const events = jobDecider.decide(
      { type: 'PostJob', data: { jobId, employerId, source: 'direct', ...input } },
      jobDecider.initialState,
      { now: context.now },
    );
    const outcome = await this.store.append({
      streamId: StreamIds.job(jobId),
      expectedVersion: 'no_stream',
      events: events.map((e) => ({ ...e, schemaVersion: currentSchemaVersion(e.type) })),
      metadata: metadataOf(context),
      now: context.now,
      idempotency: context.idempotency,
      respond: (appended) => ({ jobId, version: appended.at(-1)?.streamPosition ?? 0 }),
    });
    return outcome.result;
  }
}
