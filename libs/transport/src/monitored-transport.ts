import { KafkaHeaders } from '@feedwerk/contracts';
import { type ConsumerHealth, type FeedwerkMetrics } from '@feedwerk/platform';
import { type Logger } from 'pino';
import {
  type IncomingMessage,
  type MessageTransport,
  type OutgoingMessage,
  type SubscribeOptions,
  type Subscription,
  type TopicDrift,
  type TopicMessages,
  type TopicSpec,
} from './transport.port';

const traceOf = (headers: Readonly<Record<string, string | undefined>>) => ({
  correlationId: headers[KafkaHeaders.correlationId],
  eventId: headers[KafkaHeaders.id],
  type: headers[KafkaHeaders.type],
});

const highestPosition = (batch: readonly IncomingMessage[]): number | null => {
  let highest: number | null = null;
  for (const message of batch) {
    const position = Number(message.headers[KafkaHeaders.globalPosition]);
    if (Number.isSafeInteger(position) && (highest === null || position > highest)) highest = position;
  }
  return highest;
};

/**
 * Wraps whichever transport the app uses, so that every consumer and publisher is observed in one
 * place without knowing it: batches and failures go to ConsumerHealth (readiness), counts to the
 * metrics, and at debug level each message handled or published is logged with its correlation id
 * (ce_correlationid), which is how one request is followed through relay, projector and ticker.
 */
export class MonitoredTransport implements MessageTransport {
  readonly kind: MessageTransport['kind'];
  private readonly log: Logger;

  constructor(
    private readonly inner: MessageTransport,
    private readonly metrics: FeedwerkMetrics,
    private readonly health: ConsumerHealth,
    log: Logger,
  ) {
    this.kind = inner.kind;
    this.log = log.child({ component: 'transport' });
  }

  ensureTopics(topics: readonly TopicSpec[]): Promise<readonly TopicDrift[]> {
    return this.inner.ensureTopics(topics);
  }

  async publish(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    await this.inner.publish(topic, messages);
    this.published(topic, messages);
  }

  async publishAll(batches: readonly TopicMessages[]): Promise<void> {
    await this.inner.publishAll(batches);
    for (const { topic, messages } of batches) this.published(topic, messages);
  }

  private published(topic: string, messages: readonly OutgoingMessage[]): void {
    this.metrics.published.inc({ topic }, messages.length);
    if (this.log.isLevelEnabled('debug')) {
      for (const message of messages) {
        this.log.debug({ topic, key: message.key, ...traceOf(message.headers) }, 'message published');
      }
    }
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const group = options.groupId;
    this.health.subscribed(group, options.topics);
    const subscription = await this.inner.subscribe({
      ...options,
      handle: async (batch, context) => {
        try {
          await options.handle(batch, context);
        } catch (error) {
          this.health.failed(group, error);
          this.metrics.batches.inc({ group, outcome: 'failed' });
          throw error;
        }
        this.health.handled(group, highestPosition(batch));
        this.metrics.batches.inc({ group, outcome: 'handled' });
        this.metrics.handled.inc({ group }, batch.length);
        if (this.log.isLevelEnabled('debug')) {
          for (const message of batch) {
            this.log.debug(
              {
                group,
                topic: message.topic,
                partition: message.partition,
                offset: message.offset,
                ...traceOf(message.headers),
              },
              'message handled',
            );
          }
        }
      },
    });
    return {
      stop: async () => {
        await subscription.stop();
        this.health.stopped(group);
      },
    };
  }

  isHealthy(): Promise<boolean> {
    return this.inner.isHealthy();
  }

  consumerLags(
    topics: readonly string[],
    groupIds?: readonly string[],
  ): Promise<ReadonlyMap<string, number>> {
    return this.inner.consumerLags(topics, groupIds);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
