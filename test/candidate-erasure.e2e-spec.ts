import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type INestApplication } from '@nestjs/common';
import { CvUploaded, type SealedPersonalData, StreamIds, toFeedEvent } from '@feedwerk/contracts';
import { EventStore } from '@feedwerk/event-store';
import { loadConfig, type StartedApp } from '@feedwerk/platform';
import { ERASED, PersonalDataVault } from '@feedwerk/privacy';
import {
  createAppDatabase,
  cvFields,
  pdfBytes,
  testKafkaTransport,
  uniqueName,
  waitFor,
} from '@feedwerk/testing';
import {
  decodeEnvelope,
  type IncomingMessage,
  MESSAGE_TRANSPORT,
  type MessageTransport,
  type Subscription,
  topicSpecs,
} from '@feedwerk/transport';
import { DataSource } from 'typeorm';
import { ApiModule } from '../apps/api/src/api.module';
import { ProjectorModule } from '../apps/projector/src/projector.module';
import { RelayModule } from '../apps/relay/src/relay.module';
import { TickerModule } from '../apps/ticker/src/ticker.module';
import { appStarter, embeddedEnv, startEmbedded, tickerClient } from './support';

/** A running deployment, with what the test needs to look behind the endpoints. */
interface Setup {
  readonly url: string;
  readonly tickerUrl: string;
  /** The database every app of the deployment uses. */
  readonly db: DataSource;
  /** A transport on the deployment's topics, to read every message it publishes. */
  readonly transport: MessageTransport;
  readonly blobDir: string;
  readonly topics: readonly string[];
  stop(): Promise<void>;
}

// Every log line there is (request logs included), so the check below sees whatever could leak.
const everyLog = { LOG_LEVEL: 'debug' };

/**
 * Captures what the apps' loggers write. pino writes to process.stdout when that stream has been
 * wrapped (as it is from here on; otherwise it would write to the file descriptor directly), so every
 * log line of the apps in this process lands here; the lines are kept, not printed.
 */
function captureLogs(): { lines: string[]; restore: () => void } {
  const lines: string[] = [];
  const capture = (chunk: unknown, ...rest: unknown[]) => {
    lines.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    const callback = rest.find((arg): arg is () => void => typeof arg === 'function');
    if (callback) process.nextTick(callback);
    return true;
  };
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation(capture),
    jest.spyOn(process.stderr, 'write').mockImplementation(capture),
  ];
  return { lines, restore: () => spies.forEach((spy) => spy.mockRestore()) };
}

async function embedded(): Promise<Setup> {
  const deployment = await startEmbedded(everyLog);
  const app = deployment.apps[0]!;
  return {
    url: deployment.apiUrl,
    tickerUrl: deployment.tickerUrl,
    db: app.get(DataSource),
    transport: app.get<MessageTransport>(MESSAGE_TRANSPORT),
    blobDir: join(deployment.dataDir, 'blobs'),
    topics: topicSpecs(loadConfig(embeddedEnv(deployment.dataDir, everyLog))).map((t) => t.topic),
    stop: () => deployment.stop(),
  };
}

/** api, relay, projector and ticker as separate apps on the test PostgreSQL and Kafka. */
async function production(): Promise<Setup> {
  const blobDir = await mkdtemp(join(tmpdir(), 'feedwerk-erasure-blobs-'));
  // Reads every message the deployment publishes, on its topics.
  const transport = testKafkaTransport('erasure-check');
  const database = await createAppDatabase({
    ...everyLog,
    TOPIC_PREFIX: transport.topicPrefix,
    TOPIC_PARTITIONS: '2',
    BLOB_DIR: blobDir,
  });
  const env = database.env;
  const start = appStarter(env);
  const started: StartedApp[] = [await start('api', ApiModule)];
  started.push(
    ...(await Promise.all([
      start('relay', RelayModule),
      start('projector', ProjectorModule),
      start('ticker', TickerModule, { TICKER_NODE_ID: uniqueName('node-') }),
    ])),
  );
  const apps: INestApplication[] = started.map((s) => s.app);
  return {
    url: started[0]!.url,
    tickerUrl: started[3]!.url,
    db: apps[0]!.get(DataSource),
    transport,
    blobDir,
    topics: topicSpecs(loadConfig(env)).map((t) => t.topic),
    async stop() {
      await transport.close();
      for (const app of apps.reverse()) await app.close();
      await database.drop();
      await rm(blobDir, { recursive: true, force: true });
    },
  };
}

/** Every row of every table, as text, that contains `needle` (case-insensitive). */
async function rowsContaining(db: DataSource, needles: readonly string[]): Promise<string[]> {
  const tables: { table_name: string }[] = await db.query(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
  );
  const hits: string[] = [];
  for (const { table_name: table } of tables) {
    const rows: { row: string }[] = await db.query(`SELECT t::text AS row FROM "${table}" t`);
    for (const { row } of rows) {
      if (needles.some((n) => row.toLowerCase().includes(n.toLowerCase()))) hits.push(`${table}: ${row}`);
    }
  }
  return hits;
}

const messageText = (m: IncomingMessage) =>
  `${m.topic} ${m.key ?? ''} ${m.value?.toString('utf8') ?? ''} ${JSON.stringify(m.headers)}`;

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe.each([
  ['embedded (PGlite + in-process transport)', embedded],
  ['production (PostgreSQL + Kafka, separate apps)', production],
])('an erased candidate in %s', (_mode, setUp) => {
  let setup: Setup;
  let subscription: Subscription;
  const messages: IncomingMessage[] = [];
  // A name and an address that occur nowhere else.
  const name = `Probandin ${uniqueName('Zweifel')}`;
  const email = `${uniqueName('probe.')}@example.org`;
  const secrets = [name, email];
  let logs: ReturnType<typeof captureLogs>;

  beforeAll(async () => {
    logs = captureLogs();
    setup = await setUp();
    subscription = await setup.transport.subscribe({
      groupId: uniqueName('erasure-check.'),
      topics: setup.topics,
      fromBeginning: true,
      handle: async (batch) => {
        messages.push(...batch);
      },
    });
  }, 90_000);

  afterAll(async () => {
    await subscription?.stop();
    await setup?.stop();
    logs.restore();
  });

  it('cannot have their name read back by any endpoint or replay', async () => {
    const { url, db, blobDir } = setup;
    const cv = pdfBytes(`Lebenslauf von ${name}, ${email}`);
    const body = new FormData();
    for (const [key, value] of Object.entries(cvFields({ name, email, portal: 'berlin' })))
      body.append(key, value);
    body.append('file', new Blob([new Uint8Array(cv)], { type: 'application/pdf' }), `${name}.pdf`);
    const uploaded = await fetch(`${url}/candidates/cvs`, { method: 'POST', body });
    expect(uploaded.status).toBe(201);
    const { candidateId, cvId, candidateToken } = (await uploaded.json()) as Record<string, string>;
    const auth = { authorization: `Bearer ${candidateToken}` };
    const streamId = StreamIds.candidate(candidateId!);

    // Before erasure: the candidate reads their data, yet no copy holds it in plaintext.
    const published = await waitFor('CvUploaded on the transport', () =>
      messages.find((m) => m.key === streamId && m.headers.ce_type === 'CvUploaded'),
    );
    const before = (await (
      await fetch(`${url}/candidates/${candidateId}`, { headers: auth })
    ).json()) as Record<string, unknown>;
    expect(before).toMatchObject({ status: 'active', name, email });
    const download = await fetch(`${url}/candidates/${candidateId}/cvs/${cvId}`, { headers: auth });
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(cv)).toBe(true);
    expect(await rowsContaining(db, secrets)).toEqual([]);
    expect(messages.map(messageText).filter((text) => secrets.some((s) => text.includes(s)))).toEqual([]);
    const blob = join(blobDir, 'cv', cvId!);
    expect((await readFile(blob)).includes(name)).toBe(true);

    // Erasure.
    const erased = await fetch(`${url}/candidates/${candidateId}`, { method: 'DELETE', headers: auth });
    expect(erased.status).toBe(200);
    const receipt = (await erased.json()) as Record<string, unknown>;
    expect(receipt).toMatchObject({ candidateId, cvFilesDeleted: 1, keysDeleted: 1 });
    expect(receipt.surfaces).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ surface: 'key-store', erased: 1 }),
        expect.objectContaining({ surface: 'blob-store', erased: 1 }),
        expect.objectContaining({ surface: 'event-store', erased: 1 }),
      ]),
    );
    await waitFor('CandidateErased on the transport', () =>
      messages.find((m) => m.key === streamId && m.headers.ce_type === 'CandidateErased'),
    );

    // Every endpoint: the candidate view shows markers, the file is gone, erasing again gives the same receipt.
    const view = await fetch(`${url}/candidates/${candidateId}`, { headers: auth });
    const viewText = await view.text();
    expect(JSON.parse(viewText)).toMatchObject({ status: 'erased', name: 'erased', email: 'erased' });
    expect(secrets.some((s) => viewText.includes(s))).toBe(false);
    expect((await fetch(`${url}/candidates/${candidateId}/cvs/${cvId}`, { headers: auth })).status).toBe(410);
    const again = await fetch(`${url}/candidates/${candidateId}`, { method: 'DELETE', headers: auth });
    expect(await again.json()).toEqual(receipt);
    const ticker = await tickerClient(setup.tickerUrl, 'berlin');
    expect(secrets.some((s) => JSON.stringify(ticker.ack).includes(s))).toBe(false);
    ticker.close();

    // Replay: the stream read again from the store, and the copy on the transport, open to "erased".
    const vault = new PersonalDataVault(db);
    const replayed = (await new EventStore(db).readStream(streamId)).map(toFeedEvent);
    expect(replayed.map((e) => e.type)).toEqual(['CvUploaded', 'CandidateErased']);
    for (const event of replayed) {
      if (event.type === 'CvUploaded') expect(await vault.open(event.data.personal)).toEqual(ERASED);
    }
    const copy = toFeedEvent(decodeEnvelope(published));
    const sealed = CvUploaded.schema.parse(copy.data).personal satisfies SealedPersonalData;
    expect(await vault.open(sealed)).toEqual(ERASED);

    // The file is gone and no stored byte anywhere holds the name.
    expect(await filesUnder(blobDir)).not.toContain(blob);
    for (const file of await filesUnder(blobDir)) expect((await readFile(file)).includes(name)).toBe(false);
    expect(await rowsContaining(db, secrets)).toEqual([]);
    expect(messages.map(messageText).filter((text) => secrets.some((s) => text.includes(s)))).toEqual([]);

    // The logs saw the requests (the capture works), but neither the name nor the address.
    const logged = logs.lines.join('');
    expect(logged).toContain(`/candidates/${candidateId}`);
    expect(secrets.filter((s) => logged.includes(s))).toEqual([]);
  }, 90_000);
});
