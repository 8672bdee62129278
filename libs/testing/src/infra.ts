import { randomBytes } from 'node:crypto';
import { eventStoreSchema } from '@feedwerk/event-store';
import {
  type DatabaseSchema,
  loadConfig,
  mergeSchemas,
  openDatabase,
  type OpenedDatabase,
  platformSchema,
} from '@feedwerk/platform';
import { privacySchema } from '@feedwerk/privacy';
import { readModelSchema } from '@feedwerk/read-models';
import { transportSchema } from '@feedwerk/transport';
import { Client } from 'pg';
import pino from 'pino';

const quiet = pino({ level: 'silent' });

/** Every lib's tables, as each app migrates them (the admin app adds its own table when it starts). */
export const sharedSchema: DatabaseSchema = mergeSchemas([
  eventStoreSchema,
  privacySchema,
  readModelSchema,
  platformSchema,
  transportSchema,
]);

const required = (name: 'DATABASE_URL' | 'KAFKA_BROKERS'): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (run the suite through \`npm test\`)`);
  return value;
};

export const uniqueName = (prefix: string) => `${prefix}${randomBytes(5).toString('hex')}`;

/**
 * A fresh, empty database on the test PostgreSQL server, so that test files never see each other's
 * events. Returns its URL and a function that drops it.
 */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const serverUrl = new URL(required('DATABASE_URL'));
  const name = uniqueName('fw_test_');
  const admin = new Client({ connectionString: serverUrl.toString() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl.toString());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new Client({ connectionString: serverUrl.toString() });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/**
 * A migrated fresh database with the platform's DataSource; `close` also drops it. `settings`: more
 * configuration for its connections (DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS, say).
 */
export async function openTestDatabase(
  settings: Readonly<Record<string, string>> = {},
): Promise<OpenedDatabase & { url: string }> {
  const { url, drop } = await createTestDatabase();
  const database = await openDatabase(
    loadConfig({ ...settings, DATABASE_URL: url, LOG_LEVEL: 'silent' }),
    quiet,
    'feedwerk-test',
    sharedSchema,
  );
  return {
    ...database,
    url,
    async close() {
      await database.close();
      await drop();
    },
  };
}

export const kafkaBrokers = (): string[] => required('KAFKA_BROKERS').split(',');

/** Waits until `probe` returns a value other than undefined/false, or fails after `timeoutMs` saying what it waited for. */
export async function waitFor<T>(
  what: string,
  probe: () => T | Promise<T>,
  { timeoutMs = 20_000, intervalMs = 25 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<Exclude<T, false | undefined>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = null;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value as Exclude<T, false | undefined>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError instanceof Error ? `: ${lastError.message}` : ''}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
