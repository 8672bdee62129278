import { randomUUID } from 'node:crypto';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { currentSchemaVersion, StreamIds } from '@feedwerk/contracts';
import { employerDecider } from '@feedwerk/domain';
import { EventStore } from '@feedwerk/event-store';
import { loadEmployer, loadJobs } from '../../shared/aggregate-streams';
import { metadataOf } from '../../shared/command-context';
import { replayIfRetried } from '../../shared/idempotency';
import { RefreshJobsCommand, type RefreshJobsResult } from './refresh-jobs.command';

/**
 * One JobsRefreshed on the employer's stream for the whole batch, decided over the employer and the
 * listed jobs' own streams. The append guards the employer's version only: a job closed in the
 * milliseconds between our read and our commit is still recorded as refreshed, which the read model
 * ignores (it stamps open jobs only).
 */
@CommandHandler(RefreshJobsCommand)
export class RefreshJobsHandler implements ICommandHandler<RefreshJobsCommand> {
  constructor(private readonly store: EventStore) {}

  async execute({ employerId, input, context }: RefreshJobsCommand): Promise<RefreshJobsResult> {
    const replayed = await replayIfRetried<RefreshJobsResult>(this.store, context);
    if (replayed) return replayed;

    const jobIds = [...new Set(input.jobIds)];
    const [employer, jobs] = await Promise.all([
      loadEmployer(this.store, employerId),
      loadJobs(this.store, jobIds),
    ]);
    const refreshId = randomUUID();
    const events = employerDecider.decide(
      { type: 'RefreshJobs', data: { refreshId, employerId, jobIds, jobs } },
      employer.state,
      { now: context.now },
    );
    const outcome = await this.store.append({
      streamId: StreamIds.employer(employerId),
      expectedVersion: employer.version,
      events: events.map((e) => ({ ...e, schemaVersion: currentSchemaVersion(e.type) })),
      metadata: metadataOf(context),
      now: context.now,
      idempotency: context.idempotency,
      respond: () => ({ refreshId, count: jobIds.length, jobIds }),
    });
    return outcome.result;
  }
}
