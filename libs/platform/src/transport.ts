import { Topics, ALL_EVENT_CATEGORIES, PublicTopics } from '@feedwerk/contracts';
import {
  InProcessTransport,
  KafkaTransport,
  type MessageTransport,
  type TopicSpec,
} from '@feedwerk/transport';
import { type Logger } from 'pino';
import { type FeedwerkConfig } from './config';

/** Every topic Feedwerk writes, with its layout. Ticker items keep one partition: the feed is one total order. */
export function topicSpecs(config: FeedwerkConfig): TopicSpec[] {
  const replicationFactor = config.TOPIC_REPLICATION_FACTOR;
  return [
    ...ALL_EVENT_CATEGORIES.map((category) => ({
      topic: Topics.events(category),
      partitions: config.TOPIC_PARTITIONS,
      replicationFactor,
    })),
    { topic: Topics.tickerChanges, partitions: 1, replicationFactor },
    { topic: Topics.deadLetter, partitions: 1, replicationFactor },
    // The activity projector publishes the box's changes here (keyed by item id).
    { topic: PublicTopics.activity, partitions: config.TOPIC_PARTITIONS, replicationFactor },
  ];
}

/** Kafka when KAFKA_BROKERS is set, the in-process transport otherwise (embedded default). */
export function createTransport(config: FeedwerkConfig, log: Logger): MessageTransport {
  if (!config.KAFKA_BROKERS) return new InProcessTransport();
  const kafkaLog = log.child({ component: 'kafka' });
  return new KafkaTransport({
    brokers: config.KAFKA_BROKERS,
    clientId: config.KAFKA_CLIENT_ID,
    topicPrefix: config.TOPIC_PREFIX,
    log: (level, message, extra) => kafkaLog[level](extra, message),
  });
}
