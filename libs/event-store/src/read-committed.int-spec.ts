import { loadConfig, openDatabase } from '@feedwerk/platform';
import { appendJobPosted, createTestDatabase } from '@feedwerk/testing';
import { Client } from 'pg';
import pino from 'pino';
import { EventStore } from './event-store';
import { eventStoreSchema } from './schema';

describe('openDatabase on PostgreSQL', () => {
  it('runs transactions at READ COMMITTED even where the database defaults to SERIALIZABLE', async () => {
    const { url, drop } = await createTestDatabase();
    const name = new URL(url).pathname.slice(1);
    const admin = new Client({ connectionString: url });
    await admin.connect();
    await admin.query(`ALTER DATABASE ${name} SET default_transaction_isolation = 'serializable'`);
    // A plain session sees the database's default: the setting took.
    const plain = new Client({ connectionString: url });
    await plain.connect();
    const seen = await plain.query<{ transaction_isolation: string }>('SHOW transaction_isolation');
    expect(seen.rows[0]?.transaction_isolation).toBe('serializable');
    await plain.end();
    await admin.end();

    const database = await openDatabase(
      loadConfig({ DATABASE_URL: url, LOG_LEVEL: 'silent' }),
      pino({ level: 'silent' }),
      'feedwerk-test',
      eventStoreSchema,
    );
    try {
      const level = await database.dataSource.transaction(async (tx) =>
        tx.query<{ transaction_isolation: string }[]>('SHOW transaction_isolation'),
      );
      expect(level[0]?.transaction_isolation).toBe('read committed');
      // The store appends without naming a level, and its appends work there.
      const store = new EventStore(database.dataSource);
      const event = await appendJobPosted(store);
      expect((await store.readStream(event.streamId)).map((e) => e.id)).toEqual([event.id]);
    } finally {
      await database.close();
      await drop();
    }
  });
});
