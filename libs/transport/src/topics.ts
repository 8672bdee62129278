import { ALL_EVENT_CATEGORIES, PublicTopics, Topics } from '@feedwerk/contracts';
import { type FeedwerkConfig } from '@feedwerk/platform';
import { type SASLOptions } from 'kafkajs';
import { type Logger } from 'pino';
import { InProcessTransport } from './in-process.transport';
import { KafkaTransport } from './kafka.transport';
import { type MessageTransport, type TopicSpec } from './transport.port';

/**
 * Every topic Feedwerk writes, with its layout. Ticker items keep one partition: the feed is one
 * total order. The public (analytics) topics have their own partitions, replication and retention:
 * they are a product whose consumers we do not run.
 */
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
    ...publicTopicSpecs(config),
  ];
}

/** The `feedwerk.public.*` topics (jobs, employers, content, candidates and the activity items). */
export function publicTopicSpecs(config: FeedwerkConfig): TopicSpec[] {
  return Object.values(PublicTopics).map((topic) => ({
    topic,
    partitions: config.PUBLIC_TOPIC_PARTITIONS,
    replicationFactor: config.PUBLIC_TOPIC_REPLICATION_FACTOR,
    config: { 'retention.ms': String(config.PUBLIC_TOPIC_RETENTION_MS) },
  }));
}

/** SCRAM credentials of this app's own principal, when the cluster is secured (loadConfig checks all-or-none). */
function saslOptions(config: FeedwerkConfig): SASLOptions | undefined {
  const {
    KAFKA_SASL_MECHANISM: mechanism,
    KAFKA_SASL_USERNAME: username,
    KAFKA_SASL_PASSWORD: password,
  } = config;
  if (!mechanism || !username || !password) return undefined;
  // Two alike branches on purpose: kafkajs types SASLOptions as a union per mechanism literal.
  return mechanism === 'scram-sha-512'
    ? { mechanism, username, password }
    : { mechanism, username, password };
}

/** Kafka when KAFKA_BROKERS is set, the in-process transport otherwise (embedded default). */
export function createTransport(config: FeedwerkConfig, log: Logger): MessageTransport {
  if (!config.KAFKA_BROKERS) return new InProcessTransport();
  const kafkaLog = log.child({ component: 'kafka' });
  return new KafkaTransport({
    brokers: config.KAFKA_BROKERS,
    clientId: config.KAFKA_CLIENT_ID,
    topicPrefix: config.TOPIC_PREFIX,
    ssl: config.KAFKA_SSL,
    sasl: saslOptions(config),
    commitIntervalMs: config.KAFKA_COMMIT_INTERVAL_MS,
    log: (level, message, extra) => kafkaLog[level](extra, message),
  });
}
