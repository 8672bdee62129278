import { KafkaTransport, type KafkaTransportOptions } from '@feedwerk/transport';
import { kafkaBrokers, uniqueName } from './infra';

/**
 * A KafkaTransport on the test brokers with a topic prefix of its own (`<clientId><random>.`, in
 * `topicPrefix`): its topics and consumer groups are seen by no other test run on the shared broker.
 * Give the apps a test starts the same prefix (TOPIC_PREFIX). Close it after the test.
 */
export const testKafkaTransport = (
  clientId: string,
  options: Partial<Omit<KafkaTransportOptions, 'clientId' | 'topicPrefix'>> = {},
): KafkaTransport & { readonly topicPrefix: string } => {
  const topicPrefix = `${uniqueName(clientId)}.`;
  const transport = new KafkaTransport({ brokers: kafkaBrokers(), clientId, topicPrefix, ...options });
  return Object.assign(transport, { topicPrefix });
};
