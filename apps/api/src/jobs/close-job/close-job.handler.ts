import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { currentSchemaVersion, StreamIds } from '@feedwerk/contracts';
import { jobDecider, requireOwnJob } from '@feedwerk/domain';
import { EventStore } from '@feedwerk/event-store';
import { loadJob } from '../../shared/aggregate-streams';
import { metadataOf } from '../../shared/command-context';
import { orLateReplay, replayIfRetried } from '../../shared/idempotency';
import { staleVersion } from '../../shared/if-match';
import { type JobVersionResult } from '../../shared/parse';
import { CloseJobCommand } from './close-job.command';

@CommandHandler(CloseJobCommand)
export class CloseJobHandler implements ICommandHandler<CloseJobCommand> {
  constructor(private readonly store: EventStore) {}

  async execute({ employerId, jobId, input, ifMatch, context }: CloseJobCommand): Promise<JobVersionResult> {
    const replayed = await replayIfRetried<JobVersionResult>(this.store, context);
    if (replayed) return replayed;

    return orLateReplay(this.store, context, async () => {
      const { state, version } = await loadJob(this.store, jobId);
      requireOwnJob(state, jobId, employerId);
      if (ifMatch !== null && ifMatch !== version) throw staleVersion(ifMatch, version);
      const events = jobDecider.decide(
        { type: 'CloseJob', data: { jobId, employerId, reason: input.reason } },
        state,
        { now: context.now },
      );
      // A concurrent change surfaces as 409 (version-conflict): the caller re-reads and decides again.
      const outcome = await this.store.append({
        streamId: StreamIds.job(jobId),
        expectedVersion: version,
        events: events.map((e) => ({ ...e, schemaVersion: currentSchemaVersion(e.type) })),
        metadata: metadataOf(context),
        now: context.now,
        idempotency: context.idempotency,
        respond: (appended) => ({ jobId, version: appended.at(-1)?.streamPosition ?? version }),
      });
      return outcome.result;
    });
  }
}
