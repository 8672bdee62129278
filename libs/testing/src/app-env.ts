import { createTestDatabase, kafkaBrokers, uniqueName } from './infra';

/** The admin credential every app a test starts accepts (ADMIN_TOKENS). */
export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789abcdefghijklmnop';

/** What every app a test starts gets: few logs, any free port on loopback, the test admin token. */
export const QUIET_APP_ENV: Readonly<Record<string, string>> = {
  LOG_LEVEL: 'warn',
  PORT: '0',
  HOST: '127.0.0.1',
  ADMIN_TOKENS: TEST_ADMIN_TOKEN,
};

/**
 * The environment of an app on the test PostgreSQL and Kafka, laid out as in production: a topic
 * prefix of the deployment's own (give every app of one deployment the same env, or the same
 * TOPIC_PREFIX), a few partitions so that ordering per key is exercised, and a short relay poll so
 * that tests do not wait on it. `overrides` win.
 */
export const testAppEnv = (
  databaseUrl: string,
  overrides: Readonly<Record<string, string>> = {},
): Record<string, string> => ({
  ...QUIET_APP_ENV,
  DATABASE_URL: databaseUrl,
  KAFKA_BROKERS: kafkaBrokers().join(','),
  TOPIC_PREFIX: `${uniqueName('app')}.`,
  TOPIC_PARTITIONS: '3',
  RELAY_IDLE_POLL_MS: '50',
  ...overrides,
});

/** A fresh database on the test server and the environment of apps on it (`testAppEnv`); `drop` removes it. */
export async function createAppDatabase(
  overrides: Readonly<Record<string, string>> = {},
): Promise<{ url: string; env: Record<string, string>; drop(): Promise<void> }> {
  const database = await createTestDatabase();
  return { ...database, env: testAppEnv(database.url, overrides) };
}
