import { Topics } from '@feedwerk/contracts';
import {
  createAppDatabase,
  employerBody,
  jobBody,
  kafkaBrokers,
  testKafkaTransport,
  uniqueName,
  waitFor,
} from '@feedwerk/testing';
import { type IncomingMessage, type Subscription } from '@feedwerk/transport';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { type AppProcess, spawnApp } from './processes';
import { call, tickerClient } from './support';

/**
 * SIGTERM under load (reliability.md row 15, fault F19), each app a built process of its own: it
 * stops intake, drains, saves its position and exits 0. Exit code 0 means within the deadline:
 * runMain exits 1 when a shutdown takes longer than 10 s. "Positions flushed" is checked by what a
 * successor does: a relay started after a stopped one publishes no event twice, a stopped
 * projector's committed offsets are the ends of its topics, and no acknowledged command is lost.
 */
describe('SIGTERM under load: every app drains, saves its position and exits 0', () => {
  let database: Awaited<ReturnType<typeof createAppDatabase>>;
  let env: NodeJS.ProcessEnv;
  const running: AppProcess[] = [];
  const watcher = testKafkaTransport('sigterm-watch');
  const prefix = watcher.topicPrefix;
  const onTopics: IncomingMessage[] = [];
  let watch: Subscription | null = null;

  const start = async (app: string, extra: NodeJS.ProcessEnv = {}) => {
    const started = await spawnApp(app, { ...env, ...extra });
    running.push(started);
    return started;
  };
  /** SIGTERM; answers the exit code and how long the exit took (reported, not asserted: noisy machine). */
  const terminate = async (app: AppProcess) => {
    const began = Date.now();
    const code = await app.terminate();
    process.stdout.write(`${app.app} exited ${String(code)} after ${Date.now() - began} ms\n`);
    return code;
  };

  beforeAll(async () => {
    database = await createAppDatabase({ TOPIC_PREFIX: prefix, TOPIC_PARTITIONS: '2' });
    env = database.env;
  });
  afterAll(async () => {
    for (const app of running) if (app.alive()) app.child.kill('SIGKILL');
    await watch?.stop();
    await watcher.close();
    await database.drop();
  });

  it('relay, projector, ticker, admin and api stop cleanly mid-load; nothing acknowledged is lost or sent twice', async () => {
    const api = await start('api');
    const relay = await start('relay');
    const [projector, ticker] = await Promise.all([
      start('projector'),
      start('ticker', { TICKER_NODE_ID: uniqueName('node-') }),
      start('admin'),
    ]);
    const admin = running.find((a) => a.app === 'admin')!;
    watch = await watcher.subscribe({
      groupId: uniqueName('watch-'),
      topics: [Topics.events('jobs'), Topics.events('employers')],
      fromBeginning: true,
      handle: async (batch) => {
        onTopics.push(...batch);
      },
    });
    const employer = await call(api.url, 'POST', '/employers', employerBody());
    const auth = { authorization: `Bearer ${String(employer.body.apiKey)}` };
    const client = await tickerClient(ticker.url, 'berlin');
    let clientDisconnected = false;
    client.socket.on('disconnect', () => (clientDisconnected = true));

    // A steady load of commands, four at a time, until told to stop; every acknowledged job is kept.
    const acked: string[] = [];
    let loading = true;
    const worker = async () => {
      while (loading) {
        const answer = await call(api.url, 'POST', '/jobs', jobBody({ portal: 'berlin' }), auth).catch(
          () => null,
        );
        if (answer?.status === 201) acked.push(String(answer.body.jobId));
      }
    };
    const load = Promise.all([worker(), worker(), worker(), worker()]);
    const ackedAtLeast = (n: number) =>
      waitFor(`${n} acknowledged jobs`, () => acked.length >= n, { timeoutMs: 60_000 });

    await ackedAtLeast(20);
    expect(await terminate(projector)).toBe(0);
    const projector2 = await start('projector');
    await ackedAtLeast(acked.length + 20);
    expect(await terminate(relay)).toBe(0);
    await ackedAtLeast(acked.length + 20);
    const relay2 = await start('relay');
    expect(await terminate(ticker)).toBe(0);
    await waitFor('the ticker client to be let go', () => clientDisconnected);
    expect(await terminate(admin)).toBe(0);
    await ackedAtLeast(acked.length + 20);
    // The api last, still under load: requests in flight finish, then it refuses new connections.
    expect(await terminate(api)).toBe(0);
    loading = false;
    await load;

    // Every acknowledged job is stored, relayed and projected (checked in the database directly).
    const pg = new Client({ connectionString: database.url });
    await pg.connect();
    try {
      const [{ count: stored }] = (
        await pg.query<{ count: number }>(
          `SELECT count(*)::int AS count FROM events WHERE type = 'JobPosted' AND data->>'jobId' = ANY($1)`,
          [acked],
        )
      ).rows as [{ count: number }];
      expect(stored).toBe(acked.length);
      const total = Number(
        (
          await pg.query<{ n: string }>(
            `SELECT count(*) AS n FROM events WHERE type IN ('JobPosted', 'EmployerRegistered')`,
          )
        ).rows[0]!.n,
      );
      await waitFor(
        'every stored job and employer on the topics',
        () => new Set(onTopics.map((m) => m.headers.ce_id)).size >= total,
        { timeoutMs: 60_000 },
      );
      // The first relay saved its checkpoint on the way out: its successor re-sent nothing.
      expect(onTopics).toHaveLength(total);
      await waitFor(
        'every acknowledged job in the read model',
        async () =>
          Number(
            (
              await pg.query<{ n: string }>(
                `SELECT count(*) AS n FROM rm_jobs_v1 WHERE job_id::text = ANY($1)`,
                [acked],
              )
            ).rows[0]!.n,
          ) === acked.length,
        { timeoutMs: 60_000 },
      );
    } finally {
      await pg.end();
    }

    // Now idle: the projector's committed offsets reach the ends of its topics once it has stopped.
    expect(await terminate(relay2)).toBe(0);
    expect(await terminate(projector2)).toBe(0);
    const kafka = new Kafka({ brokers: kafkaBrokers(), logLevel: logLevel.NOTHING }).admin();
    await kafka.connect();
    try {
      for (const group of ['projector.activity', 'projector.jobs']) {
        for (const topic of [Topics.events('jobs'), Topics.events('employers')]) {
          const ends = await kafka.fetchTopicOffsets(`${prefix}${topic}`);
          const [committed] = await kafka.fetchOffsets({
            groupId: `${prefix}${group}`,
            topics: [`${prefix}${topic}`],
          });
          const byPartition = (list: readonly { partition: number; offset: string }[]) =>
            // An empty partition has nothing to commit: -1 there means "at the start", the same as 0.
            Object.fromEntries(list.map((p) => [p.partition, p.offset === '-1' ? '0' : p.offset]));
          expect({ group, topic, committed: byPartition(committed!.partitions) }).toEqual({
            group,
            topic,
            committed: byPartition(ends),
          });
        }
      }
    } finally {
      await kafka.disconnect();
    }
    for (const app of running) expect(app.output()).not.toMatch(/unhandled rejection|shutdown took longer/);
  }, 300_000);
});
