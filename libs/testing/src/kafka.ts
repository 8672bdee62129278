import { KafkaTransport, type KafkaTransportOptions } from '@feedwerk/transport';
import { kafkaBrokers, uniqueName } from './infra';

/**
 * A topic prefix of a test's own (`<name><random>.`): its topics and consumer groups are not seen by
 * any other test run on the shared broker. Give the same one to the apps a test starts (TOPIC_PREFIX).
 */
export const topicPrefix = (name: string): string => `${uniqueName(name)}.`;

/**
 * A KafkaTransport on the test brokers with a topic prefix of its own (from `clientId`, unless
 * `options` name the prefix the test shares with its apps). Close it after the test.
 */
export const testKafkaTransport = (
  clientId: string,
  options: Partial<Omit<KafkaTransportOptions, 'clientId'>> = {},
): KafkaTransport =>
  new KafkaTransport({ brokers: kafkaBrokers(), clientId, topicPrefix: topicPrefix(clientId), ...options });
