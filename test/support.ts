import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type INestApplication, type Type } from '@nestjs/common';
import {
  TickerProtocol,
  type TickerChangeV1,
  type TickerItemV1,
  type TickerSubscribeAck,
} from '@feedwerk/contracts';
import { startApp, type StartedApp } from '@feedwerk/platform';
import {
  createAppDatabase,
  createTestDatabase,
  QUIET_APP_ENV,
  TEST_ADMIN_TOKEN,
  uniqueName,
} from '@feedwerk/testing';
import { Client } from 'pg';
import { io, type Socket } from 'socket.io-client';
import { ApiModule } from '../apps/api/src/api.module';
import { ProjectorModule } from '../apps/projector/src/projector.module';
import { RelayModule } from '../apps/relay/src/relay.module';
import { StandaloneModule } from '../apps/standalone/src/standalone.module';
import { TickerModule } from '../apps/ticker/src/ticker.module';

/** A running deployment under test: where to send commands, where to connect ticker clients, how to stop it. */
export interface Deployment {
  readonly apiUrl: string;
  readonly tickerUrl: string;
  readonly apps: readonly INestApplication[];
  stop(): Promise<void>;
}

export { TEST_ADMIN_TOKEN } from '@feedwerk/testing';

/** The two modes every whole-service test runs in, as `describe.each` names them. */
export const EMBEDDED_MODE = 'the embedded default (PGlite, in-process transport)';
export const DISTRIBUTED_MODE = 'Kafka and PostgreSQL, one process per app';

/**
 * The running deployment `start` makes for the tests of the enclosing `describe`: started before
 * them, stopped after. Read its fields inside the tests (before they run it is not there yet).
 */
export function deployedFor<T extends object & { stop(): Promise<void> }>(
  start: () => Promise<T>,
  startTimeoutMs = 90_000,
): T {
  let running: T | undefined;
  beforeAll(async () => {
    running = await start();
  }, startTimeoutMs);
  afterAll(() => running?.stop(), 60_000);
  return new Proxy({} as T, {
    get(_, key) {
      if (!running) throw new Error('the deployment is not running (did its start fail?)');
      return Reflect.get(running, key) as unknown;
    },
  });
}

/** The embedded app's environment: PGlite in `dataDir`, the in-process transport. */
export const embeddedEnv = (dataDir: string, extra: Record<string, string> = {}): Record<string, string> => ({
  ...QUIET_APP_ENV,
  DATA_DIR: dataDir,
  DATABASE_URL: '',
  KAFKA_BROKERS: '',
  ...extra,
});

/** The embedded default: one process, PGlite in a temporary DATA_DIR, in-process transport. */
export async function startEmbedded(
  extra: Record<string, string> = {},
): Promise<Deployment & { readonly dataDir: string }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'feedwerk-e2e-'));
  const { app, url } = await startApp(
    { app: 'standalone', requires: [], env: embeddedEnv(dataDir, extra) },
    StandaloneModule,
  );
  return {
    apiUrl: url,
    tickerUrl: url,
    apps: [app],
    dataDir,
    async stop() {
      await app.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts one app of a distributed deployment on `env` (see testAppEnv), with `extra` on top: the api
 * needs no Kafka (its outbox absorbs it), the others need both.
 */
export const appStarter =
  (env: Record<string, string>) =>
  (app: string, module: Type<unknown>, extra: Record<string, string> = {}): Promise<StartedApp> =>
    startApp(
      {
        app,
        requires: app === 'api' ? ['postgres'] : ['postgres', 'kafka'],
        env: { ...env, ...extra },
      },
      module,
    );

/** The api alone on a fresh database, no Kafka (the outbox absorbs it): for tests of its HTTP edge. */
export async function startApi(extra: Record<string, string> = {}) {
  const database = await createTestDatabase();
  const { app, url } = await startApp(
    {
      app: 'api',
      requires: ['postgres'],
      env: { ...QUIET_APP_ENV, DATABASE_URL: database.url, ...extra },
    },
    ApiModule,
  );
  // A session on the api's database, for tests that count or change rows beside the api.
  const db = new Client({ connectionString: database.url });
  await db.connect();
  return {
    url,
    app,
    db,
    databaseUrl: database.url,
    async stop() {
      await db.end();
      await app.close();
      await database.drop();
    },
  };
}

/** A distributed deployment can start further ticker nodes (each its own app and consumer group). */
export interface DistributedDeployment extends Deployment {
  startTicker(nodeId?: string): Promise<StartedApp>;
}

/** Production layout: api, relay, projector and ticker as separate apps on real PostgreSQL and Kafka. */
export async function startDistributed(extra: Record<string, string> = {}): Promise<DistributedDeployment> {
  const database = await createAppDatabase(extra);
  const start = appStarter(database.env);
  const started: StartedApp[] = [];
  const stopAll = async () => {
    for (const { app } of started.reverse()) await app.close().catch(() => undefined);
    await database.drop();
  };
  // An app that fails to start must not leave the others running: their servers and consumers
  // would keep jest alive after the run (a CI run hung 80 minutes on that).
  try {
    // The api migrates first; the others find the schema in place.
    started.push(await start('api', ApiModule));
    const others = await Promise.allSettled([
      start('relay', RelayModule),
      start('projector', ProjectorModule),
      start('ticker', TickerModule, { TICKER_NODE_ID: uniqueName('node-') }),
    ]);
    for (const result of others) if (result.status === 'fulfilled') started.push(result.value);
    const failed = others.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
  } catch (error) {
    await stopAll();
    throw error;
  }
  const [api, , , ticker] = started;
  return {
    apiUrl: api!.url,
    tickerUrl: ticker!.url,
    apps: started.map((s) => s.app),
    async startTicker(nodeId = uniqueName('node-')) {
      const ticker = await start('ticker', TickerModule, { TICKER_NODE_ID: nodeId });
      started.push(ticker);
      return ticker;
    },
    stop: stopAll,
  };
}

/**
 * `describe.each` over both deployments ([mode, start]), started with `extra` settings, and the
 * distributed one also with `distributedOnly`.
 */
export const bothModes = (extra: Record<string, string> = {}, distributedOnly: Record<string, string> = {}) =>
  [
    [EMBEDDED_MODE, () => startEmbedded(extra)],
    [DISTRIBUTED_MODE, (): Promise<Deployment> => startDistributed({ ...extra, ...distributedOnly })],
  ] as const;

/** A real socket.io client on `/ticker` that records every item upserted to it. */
export async function tickerClient(url: string, portal: string, lang?: 'de' | 'en') {
  const socket: Socket = io(`${url}${TickerProtocol.namespace}`, {
    transports: ['websocket'],
    reconnection: false,
  });
  const items: TickerItemV1[] = [];
  socket.on(TickerProtocol.change, (change: TickerChangeV1) => {
    if (change.op === 'upsert') items.push(change.item);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  const ack = (await socket
    .timeout(10_000)
    .emitWithAck(TickerProtocol.subscribe, { portal, lang })) as TickerSubscribeAck;
  return { socket, ack, items, close: () => socket.disconnect() };
}

export async function post(url: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    body: (text ? JSON.parse(text) : null) as Record<string, unknown>,
  };
}

/** Any HTTP call with a JSON (or raw string) body; answers status, headers and the parsed body. */
export async function call(
  url: string,
  method: 'GET' | 'POST' | 'PATCH',
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    contentType: response.headers.get('content-type') ?? '',
    body: (text && response.headers.get('content-type')?.includes('json')
      ? JSON.parse(text)
      : text) as Record<string, unknown>,
  };
}

/** A GET on an admin route with the test token. */
export const adminGet = (url: string, path: string) =>
  call(url, 'GET', path, undefined, { authorization: `Bearer ${TEST_ADMIN_TOKEN}` });

/**
 * Expects `response` to be a problem document (application/problem+json) of `status` with a
 * detail, naming `field` among its errors when given.
 */
export async function expectProblem(response: Response, status: number, field?: string): Promise<void> {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toContain('application/problem+json');
  const problem = (await response.json()) as {
    status: number;
    detail: string;
    errors?: { path: string }[];
  };
  expect(problem.status).toBe(status);
  expect(problem.detail.length).toBeGreaterThan(0);
  if (field) expect(problem.errors?.map((e) => e.path)).toContain(field);
}
