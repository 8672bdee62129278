import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { Topics } from '@feedwerk/contracts';
import { JobsProjection } from '@feedwerk/read-models';
import {
  DeadLetterOffice,
  type IncomingMessage,
  MESSAGE_TRANSPORT,
  type MessageTransport,
  type Subscription,
} from '@feedwerk/transport';
import { PROJECTOR_PARTITIONS_PER_CALL } from './partitions';
import { decodeOrDeadLetter } from './dead-letter';

export const JOBS_GROUP = 'projector.jobs';

/**
 * Consumes the jobs and employers topics in its own consumer group `projector.jobs` (independent of
 * the activity projection's progress) and folds them into the portal's jobs/employers read model.
 * Poison records go to the dead-letter topic; other failures fail the batch, which is retried.
 */
@Injectable()
export class JobsProjector implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger(JobsProjector.name);
  private subscription: Subscription | null = null;

  constructor(
    private readonly projection: JobsProjection,
    @Inject(MESSAGE_TRANSPORT) private readonly transport: MessageTransport,
    private readonly deadLetters: DeadLetterOffice,
  ) {}

  async onModuleInit(): Promise<void> {
    this.subscription = await this.transport.subscribe({
      groupId: JOBS_GROUP,
      topics: [Topics.events('jobs'), Topics.events('employers')],
      fromBeginning: true,
      handle: (batch) => this.handle(batch),
      // One transaction for what a fetch brought from every partition, not one per partition in turn.
      partitionsPerCall: PROJECTOR_PARTITIONS_PER_CALL,
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.subscription?.stop();
  }

  async handle(batch: readonly IncomingMessage[]): Promise<void> {
    await this.projection.handle(await decodeOrDeadLetter(this.deadLetters, JOBS_GROUP, batch, this.log));
  }
}
