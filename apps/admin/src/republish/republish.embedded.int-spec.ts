import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReplayHeaders, ReplayTopics } from '@feedwerk/contracts';
import { EventStore } from '@feedwerk/event-store';
import { loadConfig, mergeSchemas, openDatabase, type OpenedDatabase } from '@feedwerk/platform';
import { appendManyJobsPosted, sharedSchema, waitFor } from '@feedwerk/testing';
import { type IncomingMessage, InProcessTransport } from '@feedwerk/transport';
import pino from 'pino';
import { adminSchema } from '../migrations';
import { RepublishService } from './republish.service';

describe('republish in embedded mode (PGlite and the in-process transport)', () => {
  let dir: string;
  let db: OpenedDatabase;
  const transport = new InProcessTransport();
  const received: IncomingMessage[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'feedwerk-republish-'));
    const config = loadConfig({ DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'silent' });
    db = await openDatabase(
      config,
      pino({ level: 'silent' }),
      'feedwerk-admin',
      mergeSchemas([sharedSchema, adminSchema]),
    );
    await transport.subscribe({
      groupId: 'analytics.backfill',
      topics: [ReplayTopics.jobs],
      fromBeginning: true,
      handle: async (batch) => {
        received.push(...batch);
      },
    });
  }, 120_000);
  afterAll(async () => {
    await transport.close();
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('republishes a range to the replay topic and finishes the run', async () => {
    const store = new EventStore(db.dataSource);
    const jobs = await appendManyJobsPosted(store, 12);
    const service = new RepublishService(
      db.dataSource,
      transport,
      loadConfig({ LOG_LEVEL: 'silent' }),
      store,
    );
    service.onApplicationBootstrap();
    try {
      const run = await service.start(
        { fromPosition: jobs[0]!.globalPosition, toPosition: jobs[11]!.globalPosition, ratePerSecond: 100 },
        'admin-test',
      );
      expect(run.progress.total).toBe(12);
      await waitFor('the run to finish', async () => (await service.get(run.id))?.status === 'done', {
        timeoutMs: 30_000,
      });
      expect(received.map((m) => m.headers.ce_id)).toEqual(jobs.map((j) => j.id));
      expect(received.every((m) => m.headers[ReplayHeaders.id] === run.id)).toBe(true);
      expect((await service.get(run.id))?.progress).toMatchObject({ done: 12, total: 12 });
    } finally {
      await service.onModuleDestroy();
    }
  });
});
