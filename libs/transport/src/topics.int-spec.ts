import { PublicTopics } from '@feedwerk/contracts';
import { kafkaBrokers, uniqueName } from '@feedwerk/testing';
import { loadConfig } from '@feedwerk/platform';
import { ConfigResourceTypes, Kafka } from 'kafkajs';
import pino from 'pino';
import { createTransport, topicSpecs } from './topics';
import { TopicConfigurationError } from './transport.port';

describe('public topics on a real broker', () => {
  const prefix = `${uniqueName('pub')}.`;
  const env = {
    KAFKA_BROKERS: kafkaBrokers().join(','),
    TOPIC_PREFIX: prefix,
    TOPIC_PARTITIONS: '2',
    PUBLIC_TOPIC_PARTITIONS: '3',
    PUBLIC_TOPIC_REPLICATION_FACTOR: '1',
    PUBLIC_TOPIC_RETENTION_MS: '604800000',
  };
  const admin = new Kafka({ brokers: kafkaBrokers(), clientId: 'check' }).admin();
  const warnings: string[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });

  beforeAll(() => admin.connect());
  afterAll(() => admin.disconnect());

  const ensure = async (overrides: Record<string, string> = {}) => {
    const config = loadConfig({ ...env, ...overrides });
    const transport = createTransport(config, log);
    try {
      return await transport.ensureTopics(topicSpecs(config));
    } finally {
      await transport.close();
    }
  };

  it('creates every public topic, the activity topic included, with its partitions and retention', async () => {
    expect(await ensure()).toEqual([]);
    const names = Object.values(PublicTopics).map((t) => `${prefix}${t}`);
    expect(names).toContain(`${prefix}feedwerk.public.activity.v1`);
    const metadata = await admin.fetchTopicMetadata({ topics: names });
    for (const topic of metadata.topics) {
      expect([topic.name, topic.partitions.length]).toEqual([topic.name, 3]);
      for (const partition of topic.partitions) expect(partition.replicas).toHaveLength(1);
    }
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: names.map((name) => ({
        type: ConfigResourceTypes.TOPIC,
        name,
        configNames: ['retention.ms'],
      })),
    });
    expect(described.resources.map((r) => r.configEntries[0]?.configValue)).toEqual(
      names.map(() => '604800000'),
    );
    // The internal topics keep their own layout.
    const internal = await admin.fetchTopicMetadata({ topics: [`${prefix}feedwerk.events.jobs.v1`] });
    expect(internal.topics[0]!.partitions).toHaveLength(2);
  });

  it('starts again unchanged when the topics match', async () => {
    expect(await ensure()).toEqual([]);
  });

  it('stops start-up when the public partition count or replication factor differs', async () => {
    await expect(ensure({ PUBLIC_TOPIC_PARTITIONS: '4' })).rejects.toThrow(TopicConfigurationError);
    await expect(ensure({ PUBLIC_TOPIC_PARTITIONS: '4' })).rejects.toThrow(
      `topic ${prefix}${PublicTopics.jobs} has 3 partitions, configuration says 4`,
    );
    await expect(ensure({ PUBLIC_TOPIC_REPLICATION_FACTOR: '2' })).rejects.toThrow(
      `topic ${prefix}${PublicTopics.candidates} has replication factor 1, configuration says 2`,
    );
    const metadata = await admin.fetchTopicMetadata({ topics: [`${prefix}${PublicTopics.jobs}`] });
    expect(metadata.topics[0]!.partitions).toHaveLength(3);
  });

  it('warns about a different retention on every public topic and leaves the broker as it is', async () => {
    warnings.length = 0;
    const drift = await ensure({ PUBLIC_TOPIC_RETENTION_MS: '-1' });
    expect(drift.map((d) => d.topic).sort()).toEqual(Object.values(PublicTopics).sort());
    expect(drift.every((d) => d.expected === '-1' && d.actual === '604800000')).toBe(true);
    expect(warnings.join('')).toContain(
      `topic ${prefix}${PublicTopics.activity} has retention.ms=604800000, configuration says -1`,
    );
  });
});
