import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { currentSchemaVersion, StreamIds } from '@feedwerk/contracts';
import { jobDecider, requireOwnJob } from '@feedwerk/domain';
import { EventStore, WrongExpectedVersionError } from '@feedwerk/event-store';
import { loadJob } from '../../shared/aggregate-streams';
import { metadataOf } from '../../shared/command-context';
import { orLateReplay, replayIfRetried } from '../../shared/idempotency';
import { staleVersion } from '../../shared/if-match';
import { type JobVersionResult } from '../../shared/parse';
import { UpdateJobCommand } from './update-job.command';

@CommandHandler(UpdateJobCommand)
export class UpdateJobHandler implements ICommandHandler<UpdateJobCommand> {
  constructor(private readonly store: EventStore) {}

  async execute({
    employerId,
    jobId,
    changes,
    ifMatch,
    context,
  }: UpdateJobCommand): Promise<JobVersionResult> {
    const replayed = await replayIfRetried<JobVersionResult>(this.store, context);
    if (replayed) return replayed;

    return orLateReplay(this.store, context, async () => {
      const { state, version } = await loadJob(this.store, jobId);
      // Who may see the job's version comes first: a stranger learns nothing from a 412.
      requireOwnJob(state, jobId, employerId);
      if (ifMatch !== version) throw staleVersion(ifMatch, version);
      const events = jobDecider.decide({ type: 'UpdateJob', data: { jobId, employerId, changes } }, state, {
        now: context.now,
      });
      try {
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
      } catch (error) {
        // Another change committed between our read and our append: the caller's version is stale.
        if (error instanceof WrongExpectedVersionError) throw staleVersion(ifMatch, error.actual);
        throw error;
      }
    });
  }
}
