import { ConfigurationError, loadConfig, resolveConfig } from '@feedwerk/platform';

describe('configuration', () => {
  it('defaults to the embedded setup on port 3000 with data in ./data', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ PORT: 3000, DATA_DIR: './data' });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.KAFKA_BROKERS).toBeUndefined();
  });

  it('reads brokers as a list and treats empty values as unset', () => {
    const config = loadConfig({ KAFKA_BROKERS: 'a:9092, b:9093', DATABASE_URL: '' });
    expect(config.KAFKA_BROKERS).toEqual(['a:9092', 'b:9093']);
    expect(config.DATABASE_URL).toBeUndefined();
  });

  it('takes SASL as all three settings or none', () => {
    const sasl = {
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'feedwerk-relay',
      KAFKA_SASL_PASSWORD: 'pw',
    };
    expect(loadConfig(sasl)).toMatchObject({ ...sasl, KAFKA_SSL: false });
    expect(() => loadConfig({ KAFKA_SASL_USERNAME: 'feedwerk-relay' })).toThrow(
      /KAFKA_SASL_MECHANISM: required when any KAFKA_SASL_\* is set[\s\S]*KAFKA_SASL_PASSWORD/,
    );
  });

  it('names every bad setting in one message', () => {
    expect(() => loadConfig({ PORT: 'abc', DATABASE_URL: 'mysql://x', KAFKA_BROKERS: 'nohost' })).toThrow(
      /PORT: must be a number[\s\S]*DATABASE_URL: must be a postgres:\/\/ URL[\s\S]*KAFKA_BROKERS/,
    );
  });

  it('stops an app that needs Kafka and PostgreSQL when they are not configured', () => {
    const env = { DATABASE_URL: '', KAFKA_BROKERS: '' };
    expect(() => resolveConfig({ app: 'relay', requires: ['postgres', 'kafka'], env })).toThrow(
      ConfigurationError,
    );
    expect(() => resolveConfig({ app: 'relay', requires: ['postgres', 'kafka'], env })).toThrow(
      /DATABASE_URL: required by the relay app[\s\S]*KAFKA_BROKERS: required by the relay app/,
    );
    expect(() => resolveConfig({ app: 'standalone', requires: [], env })).not.toThrow();
  });
});

describe('public topic settings', () => {
  it('default to 6 partitions, replication 1 and 30 days of retention', () => {
    expect(loadConfig({})).toMatchObject({
      PUBLIC_TOPIC_PARTITIONS: 6,
      PUBLIC_TOPIC_REPLICATION_FACTOR: 1,
      PUBLIC_TOPIC_RETENTION_MS: 30 * 24 * 3_600_000,
    });
  });

  it('accept -1 as retention (keep forever) and refuse a retention shorter than a minute', () => {
    expect(loadConfig({ PUBLIC_TOPIC_RETENTION_MS: '-1' }).PUBLIC_TOPIC_RETENTION_MS).toBe(-1);
    expect(() => loadConfig({ PUBLIC_TOPIC_RETENTION_MS: '5' })).toThrow(
      /PUBLIC_TOPIC_RETENTION_MS: must be -1 \(forever\) or at least 60000/,
    );
    expect(() => loadConfig({ PUBLIC_TOPIC_PARTITIONS: '0' })).toThrow(/PUBLIC_TOPIC_PARTITIONS/);
  });

  it('says how a number is wrong: not a number, not whole, or out of range', () => {
    expect(() => loadConfig({ HEALTH_CONSUMER_STALL_MS: '5' })).toThrow(
      /HEALTH_CONSUMER_STALL_MS: must be at least 1000/,
    );
    expect(() => loadConfig({ METRICS_REFRESH_MS: '1500.5' })).toThrow(
      /METRICS_REFRESH_MS: must be a whole number/,
    );
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/PORT: must be at most 65535/);
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT: must be a number/);
  });
});
