import {
  type FactoryProvider,
  type InjectionToken,
  Logger,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { type FeedEvent, toFeedEvent } from '@feedwerk/contracts';
import {
  DeadLetterOffice,
  decodeEnvelope,
  type IncomingMessage,
  MESSAGE_TRANSPORT,
  type MessageTransport,
  type Subscription,
} from '@feedwerk/transport';

/**
 * How many partitions' batches a projector folds in one transaction. A fetch brings a batch for
 * every partition with new events; handled one partition at a time, each paid a transaction of its
 * own (a dozen round trips) while the others waited, and at 200 events/s over 6 partitions that
 * queueing was most of the projector's latency. Above the partitions one member owns it is simply
 * all of them.
 */
export const PROJECTOR_PARTITIONS_PER_CALL = 32;

/** A projection's live apply: folds a batch of events, with its checkpoint, in one transaction. */
export interface LiveProjection<R = unknown> {
  handle(events: readonly FeedEvent[]): Promise<R>;
}

/** What a projector consumes and what it folds it into: all that differs between projectors. */
export interface ProjectorDefinition<R = unknown> {
  /** The consumer group; its committed offsets are the projector's progress on the topics. */
  group: string;
  topics: readonly string[];
  projection: LiveProjection<R>;
  /** Runs after the batch is committed to the read model, before its offsets are committed. */
  afterCommit?(result: R): void;
}

/**
 * The one projector shell: consumes the definition's topics in its consumer group from the start and
 * folds each batch into its projection. Records that can never become events go to the dead-letter
 * topic and the rest of the batch flows on; anything else that fails (PostgreSQL down) fails the
 * batch, which the transport retries with back-off, committing no offset past it.
 */
export class Projector implements OnModuleInit, OnModuleDestroy {
  private readonly log: Logger;
  private subscription: Subscription | null = null;

  constructor(
    private readonly definition: ProjectorDefinition,
    private readonly transport: MessageTransport,
    private readonly deadLetters: DeadLetterOffice,
  ) {
    this.log = new Logger(`Projector(${definition.group})`);
  }

  /** Subscribes before any producer starts (onModuleInit precedes every onApplicationBootstrap). */
  async onModuleInit(): Promise<void> {
    this.subscription = await this.transport.subscribe({
      groupId: this.definition.group,
      topics: [...this.definition.topics],
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
    const result = await this.definition.projection.handle(await this.decode(batch));
    this.definition.afterCommit?.(result);
  }

  /**
   * Turns a batch of records into typed events, in order. Each record that can never become an event
   * (a permanent failure) is parked as a dead letter and left out. Anything that fails later
   * (PostgreSQL down: transient) fails the batch, which is retried without a dead letter.
   */
  private async decode(batch: readonly IncomingMessage[]): Promise<FeedEvent[]> {
    const events: FeedEvent[] = [];
    for (const message of batch) {
      try {
        events.push(toFeedEvent(decodeEnvelope(message)));
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        this.log.warn(`dead-lettering ${message.topic}/${message.partition}@${message.offset}: ${reason}`);
        await this.deadLetters.park(this.definition.group, message, reason);
      }
    }
    return events;
  }
}

/**
 * A Nest provider of a projector under `token`: `define` turns the injected `deps` into the
 * definition; the transport and the dead-letter office are the shell's own.
 */
export function projectorProvider<D extends unknown[]>(
  token: InjectionToken,
  define: (...deps: D) => ProjectorDefinition,
  deps: { [K in keyof D]: InjectionToken },
): FactoryProvider<Projector> {
  return {
    provide: token,
    useFactory: (transport: MessageTransport, deadLetters: DeadLetterOffice, ...rest: D) =>
      new Projector(define(...rest), transport, deadLetters),
    inject: [MESSAGE_TRANSPORT, DeadLetterOffice, ...deps],
  };
}
