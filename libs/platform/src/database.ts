import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import {
  EventStore1764230400000,
  eventStoreEntities,
  HistoryIndexes1764232500000,
} from '@feedwerk/event-store';
import { Privacy1764230700000 } from '@feedwerk/privacy';
import {
  Activity1764230500000,
  ActivityV21764231400000,
  Generations1764232000000,
  Jobs1764231000000,
  ProjectionSnapshots1764232700000,
} from '@feedwerk/read-models';
import { DataSource } from 'typeorm';
import { type FeedwerkConfig } from './config';
import { Credentials1764230600000 } from './migrations/1764230600000-credentials';
import { Republishes1764232200000 } from './migrations/1764232200000-republishes';
import { DeadLetters1764232600000 } from './migrations/1764232600000-dead-letters';
import { type Logger } from 'pino';

/** The whole schema, in order. Every app runs the same list, so the first one up migrates. */
export const MIGRATIONS = [
  EventStore1764230400000,
  Activity1764230500000,
  Credentials1764230600000,
  Privacy1764230700000,
  Jobs1764231000000,
  ActivityV21764231400000,
  Generations1764232000000,
  Republishes1764232200000,
  HistoryIndexes1764232500000,
  DeadLetters1764232600000,
  ProjectionSnapshots1764232700000,
];

/**
 * One connection to the embedded database. PGlite runs one session; its socket server interleaves the
 * extended-protocol messages of several sockets outside transactions (a Bind could meet another
 * socket's Parse), so the pool never opens a second one. Code inside a transaction therefore always
 * uses the transaction's manager.
 */
const EMBEDDED_POOL = 1;
const MIGRATION_LOCK = 7_355_608;

export interface OpenedDatabase {
  readonly dataSource: DataSource;
  /** True when PostgreSQL is PGlite inside this process (the embedded default). */
  readonly embedded: boolean;
  close(): Promise<void>;
}

/**
 * Opens PostgreSQL: the server at DATABASE_URL, or, when none is configured, PGlite (real
 * PostgreSQL compiled to WASM) in DATA_DIR behind a loopback socket, so TypeORM talks to both
 * through the same `pg` driver, entities and migrations.
 */
export async function openDatabase(
  config: FeedwerkConfig,
  log: Logger,
  applicationName: string,
): Promise<OpenedDatabase> {
  let url = config.DATABASE_URL;
  let embedded: { server: PGLiteSocketServer; db: PGlite } | null = null;
  if (!url) {
    const dir = resolve(config.DATA_DIR, 'pg');
    await mkdir(dir, { recursive: true });
    const db = await PGlite.create(dir);
    const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: EMBEDDED_POOL });
    await server.start();
    embedded = { server, db };
    url = `postgres://postgres@${server.getServerConn()}/postgres`;
    log.info({ dir }, 'embedded PostgreSQL (PGlite) started');
  }
  const dataSource = new DataSource({
    type: 'postgres',
    url,
    entities: eventStoreEntities,
    migrations: MIGRATIONS,
    synchronize: false,
    migrationsRun: false,
    logging: false,
    applicationName,
    poolSize: embedded ? EMBEDDED_POOL : config.DATABASE_POOL_SIZE,
    connectTimeoutMS: 5_000,
    // An idle pooled connection that the server drops (restart, crash, failover) emits 'error': without a
    // handler that kills the process (node-postgres #1324). The pool discards that client and opens new
    // ones on demand; clients checked out by a query runner are released as broken by TypeORM itself.
    poolErrorHandler: (error: unknown) =>
      log.warn(
        { err: error instanceof Error ? error.message : String(error) },
        'a pooled PostgreSQL connection failed; the pool replaces it',
      ),
    extra: {
      statement_timeout: config.DATABASE_STATEMENT_TIMEOUT_MS,
      // One stuck transaction must not stall the outbox relay for long (it reads below the oldest one).
      idle_in_transaction_session_timeout: 60_000,
      idleTimeoutMillis: 30_000,
      // Sessions start at READ COMMITTED whatever the server's default: the event store's appends
      // rely on it without sending SET TRANSACTION (a round trip) on every command. A startup option
      // wins over a default set with ALTER DATABASE/ROLE. (PGlite: our own database, at its default.)
      ...(embedded ? {} : { options: '-c default_transaction_isolation=read\\ committed' }),
    },
  });
  try {
    await dataSource.initialize();
    if (config.MIGRATIONS_RUN) await migrate(dataSource, embedded !== null);
  } catch (error) {
    if (dataSource.isInitialized) await dataSource.destroy().catch(() => undefined);
    if (embedded) await stopEmbedded(embedded);
    throw error;
  }
  return {
    dataSource,
    embedded: embedded !== null,
    async close() {
      if (dataSource.isInitialized) await dataSource.destroy();
      if (embedded) await stopEmbedded(embedded);
    },
  };
}

async function stopEmbedded(embedded: { server: PGLiteSocketServer; db: PGlite }) {
  await embedded.server.stop();
  await embedded.db.close();
}

/** Runs pending migrations; with a shared server, under an advisory lock so that concurrent app starts take turns. */
async function migrate(dataSource: DataSource, embedded: boolean): Promise<void> {
  if (embedded) {
    await dataSource.runMigrations({ transaction: 'each' });
    return;
  }
  const runner = dataSource.createQueryRunner();
  try {
    await runner.connect();
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await runner.release();
  }
}
