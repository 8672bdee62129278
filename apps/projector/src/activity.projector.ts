import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { ALL_EVENT_CATEGORIES, Topics } from '@feedwerk/contracts';
import { crashPoint } from '@feedwerk/platform';
import { ActivityProjection } from '@feedwerk/read-models';
import {
  DeadLetterOffice,
  type IncomingMessage,
  MESSAGE_TRANSPORT,
  type MessageTransport,
  type Subscription,
} from '@feedwerk/transport';
import { PROJECTOR_PARTITIONS_PER_CALL } from './partitions';
import { decodeOrDeadLetter } from './dead-letter';
import { TickerItemPublisher } from './ticker-item.publisher';

export const ACTIVITY_GROUP = 'projector.activity';

/**
 * Consumes every event topic in consumer group `projector.activity` and folds the events into the
 * activity read model. Records that can never become events go to the dead-letter topic; anything
 * else that fails (PostgreSQL down) fails the batch, which the transport retries with back-off.
 */
@Injectable()
export class ActivityProjector implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger(ActivityProjector.name);
  private subscription: Subscription | null = null;

  constructor(
    private readonly projection: ActivityProjection,
    private readonly publisher: TickerItemPublisher,
    @Inject(MESSAGE_TRANSPORT) private readonly transport: MessageTransport,
    private readonly deadLetters: DeadLetterOffice,
  ) {}

  /** Subscribes before any producer starts (onModuleInit precedes every onApplicationBootstrap). */
  async onModuleInit(): Promise<void> {
    this.subscription = await this.transport.subscribe({
      groupId: ACTIVITY_GROUP,
      topics: ALL_EVENT_CATEGORIES.map((c) => Topics.events(c)),
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
    const events = await decodeOrDeadLetter(this.deadLetters, ACTIVITY_GROUP, batch, this.log);
    const result = await this.projection.handle(events);
    // Applied and committed, offsets not yet committed: the window that must not double an effect.
    crashPoint('projector.afterApply');
    if (result.changes.length > 0) this.publisher.wakeUp();
  }
}
