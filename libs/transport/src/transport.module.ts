import { type BeforeApplicationShutdown, Global, Inject, Injectable, Module } from '@nestjs/common';
import {
  ConsumerHealth,
  FEEDWERK_CONFIG,
  type FeedwerkConfig,
  FeedwerkMetrics,
  provideDatabaseSchema,
  ROOT_LOGGER,
  TRANSPORT_PROBE,
  type TransportProbe,
} from '@feedwerk/platform';
import { type Logger } from 'pino';
import { transportSchema } from './migrations';
import { MonitoredTransport } from './monitored-transport';
import { createTransport, topicSpecs } from './topics';
import { MESSAGE_TRANSPORT, type MessageTransport } from './transport.port';

/**
 * Closes the transport once every app component has stopped (onModuleDestroy), before the platform
 * closes the database at application shutdown: a consumer's last batch may still write to both.
 */
@Injectable()
class TransportLifecycle implements BeforeApplicationShutdown {
  constructor(@Inject(MESSAGE_TRANSPORT) private readonly transport: MessageTransport) {}

  async beforeApplicationShutdown(): Promise<void> {
    await this.transport.close();
  }
}

/**
 * The app's message transport: Kafka when KAFKA_BROKERS is set, in-process otherwise, observed by
 * the platform's metrics and consumer health, its topics ensured before the app starts, its
 * dead-letter table migrated. An app that publishes or consumes imports this module; one that does not (the api only appends to the
 * outbox) leaves it out, and its start and readiness never depend on Kafka. Global, so every module
 * of the app injects MESSAGE_TRANSPORT; imported by several apps of one process, it is still one.
 */
@Global()
@Module({
  providers: [
    provideDatabaseSchema(transportSchema),
    {
      provide: MESSAGE_TRANSPORT,
      useFactory: async (
        config: FeedwerkConfig,
        log: Logger,
        metrics: FeedwerkMetrics,
        consumers: ConsumerHealth,
      ): Promise<MessageTransport> => {
        const transport = new MonitoredTransport(createTransport(config, log), metrics, consumers, log);
        await transport.ensureTopics(topicSpecs(config));
        return transport;
      },
      inject: [FEEDWERK_CONFIG, ROOT_LOGGER, FeedwerkMetrics, ConsumerHealth],
    },
    {
      provide: TRANSPORT_PROBE,
      useFactory: (transport: MessageTransport, config: FeedwerkConfig): TransportProbe => ({
        kind: transport.kind,
        topics: topicSpecs(config).map((spec) => spec.topic),
        isHealthy: () => transport.isHealthy(),
        consumerLags: (topics, groupIds) => transport.consumerLags(topics, groupIds),
      }),
      inject: [MESSAGE_TRANSPORT, FEEDWERK_CONFIG],
    },
    TransportLifecycle,
  ],
  exports: [MESSAGE_TRANSPORT, TRANSPORT_PROBE],
})
export class TransportModule {}
