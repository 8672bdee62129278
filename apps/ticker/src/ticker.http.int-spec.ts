import { get, type IncomingMessage, type Server } from 'node:http';
import { type INestApplication } from '@nestjs/common';
import { type TickerChangeV1, TickerProtocol, toFeedEvent } from '@feedwerk/contracts';
import { EventStore } from '@feedwerk/event-store';
import { startApp } from '@feedwerk/platform';
import { ActivityFeed, ActivityProjection } from '@feedwerk/read-models';
import {
  appendManyJobsPosted,
  publishGenerationMarker,
  publishTickerChanges,
  sseClient,
  tickerSocket,
  uniqueName,
  waitFor,
  openTestStore,
  type TestDatabase,
} from '@feedwerk/testing';
import { MESSAGE_TRANSPORT, type MessageTransport } from '@feedwerk/transport';
import { TickerHttpController } from './ticker.http.controller';
import { TickerHub } from './ticker.hub';
import { TickerModule } from './ticker.module';

/** An event-stream client that stops reading as soon as the response starts: the server's writes back up behind it. */
async function stalledStream(url: string) {
  const received: Buffer[] = [];
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const request = get(url, { agent: false }, (res) => {
      res.pause();
      resolve(res);
    });
    request.once('error', reject);
  });
  const ended = new Promise<void>((resolve) => {
    response.on('data', (chunk: Buffer) => received.push(chunk));
    response.once('close', resolve);
  });
  return {
    status: response.statusCode,
    /** Starts reading: everything the server still sends arrives, then the end of the connection. */
    async readToEnd(): Promise<string> {
      response.resume();
      await ended;
      return Buffer.concat(received).toString('utf8');
    },
    destroy: () => response.destroy(),
  };
}

/** The `change` events' positions in a raw event-stream body (an incomplete last event is ignored). */
const changePositions = (body: string) =>
  body
    .split('\n\n')
    .slice(0, -1)
    .filter((block) => block.includes('event: change'))
    .map((block) => (JSON.parse(/^data: (.*)$/m.exec(block)![1]!) as TickerChangeV1).position);

const openConnections = (app: INestApplication) =>
  new Promise<number>((resolve, reject) =>
    (app.getHttpServer() as Server).getConnections((error, count) =>
      error ? reject(error) : resolve(count),
    ),
  );

describe('ticker event streams (SSE) on Fastify and PostgreSQL: per-address cap and slow clients', () => {
  let db: TestDatabase, store: EventStore;
  let projection: ActivityProjection;
  let feed: ActivityFeed;
  const cleanups: (() => Promise<void> | void)[] = [];

  beforeAll(async () => {
    ({ db, store } = await openTestStore());
    projection = new ActivityProjection(db.dataSource, store, { burstWindowMs: 0 });
    feed = new ActivityFeed(db.dataSource);
  });
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await db.close();
  });

  /** The ticker app as it runs in production (Nest on Fastify, its own pool), on the in-process transport. */
  async function startNode(env: Record<string, string>) {
    const { app, url } = await startApp(
      {
        app: 'ticker',
        requires: ['postgres'],
        env: {
          LOG_LEVEL: 'warn',
          PORT: '0',
          HOST: '127.0.0.1',
          DATABASE_URL: db.url,
          KAFKA_BROKERS: '',
          TICKER_NODE_ID: uniqueName('n'),
          ...env,
        },
      },
      TickerModule,
    );
    cleanups.push(() => app.close());
    const connect = async (options: Parameters<typeof tickerSocket>[1] = {}) => {
      const client = await tickerSocket(url, options);
      cleanups.push(() => void client.socket.disconnect());
      return client;
    };
    const stream = async (portal: string) => {
      const client = await sseClient(`${url}${TickerProtocol.streamPath}?portal=${portal}`);
      cleanups.push(() => client.close());
      return client;
    };
    return {
      app,
      url,
      connect,
      stream,
      hub: app.get(TickerHub),
      controller: app.get(TickerHttpController),
      transport: app.get<MessageTransport>(MESSAGE_TRANSPORT),
    };
  }

  const subscribe = (client: Awaited<ReturnType<typeof tickerSocket>>, portal: string) =>
    client.socket.timeout(10_000).emitWithAck(TickerProtocol.subscribe, { portal });

  const refusal = async (response: Response) => ({
    status: response.status,
    contentType: response.headers.get('content-type'),
    retryAfter: response.headers.get('retry-after'),
    body: (await response.json()) as Record<string, unknown>,
  });

  const tooMany = {
    status: 429,
    contentType: expect.stringContaining('application/problem+json'),
    retryAfter: expect.stringMatching(/^\d+$/),
    body: expect.objectContaining({
      status: 429,
      detail: expect.stringMatching(/too many ticker connections/),
    }),
  };

  it('refuses an event stream beyond the per-address cap with a 429 problem, and a closed one frees its slot', async () => {
    const node = await startNode({ TICKER_MAX_CONNECTIONS_PER_IP: '2' });
    const portal = uniqueName('p');
    const streamUrl = `${node.url}${TickerProtocol.streamPath}?portal=${portal}`;
    const first = await node.stream(portal);
    const second = await node.stream(portal);
    for (const open of [first, second]) {
      expect(open.response.status).toBe(200);
      await waitFor('the snapshot', () => open.events.some((e) => e.event === 'snapshot'));
    }

    expect(await refusal(await fetch(streamUrl))).toEqual(tooMany);
    // The refused request subscribed nothing.
    expect(node.hub.size).toBe(2);

    await first.close();
    const third = await waitFor('a free slot', async () => {
      const attempt = await sseClient(streamUrl);
      if (attempt.response.status === 200) return attempt;
      await attempt.response.body?.cancel();
      return false;
    });
    cleanups.push(() => third.close());
    await waitFor('the snapshot on the freed slot', () => third.events.some((e) => e.event === 'snapshot'));
    expect(await refusal(await fetch(streamUrl))).toEqual(tooMany);
  });

  it('counts socket.io connections and event streams of one address against the same cap', async () => {
    const node = await startNode({ TICKER_MAX_CONNECTIONS_PER_IP: '2' });
    const portal = uniqueName('p');
    const streamUrl = `${node.url}${TickerProtocol.streamPath}?portal=${portal}`;
    const stream = await node.stream(portal);
    expect(stream.response.status).toBe(200);
    const socket = await node.connect();
    expect(await subscribe(socket, portal)).toMatchObject({ ok: true });

    // Full: neither kind gets a third connection.
    expect(await refusal(await fetch(streamUrl))).toEqual(tooMany);
    await expect(node.connect()).rejects.toThrow();
    await expect(node.connect({ transports: ['polling'] })).rejects.toThrow();

    // A closed event stream lets a socket in; a closed socket lets an event stream in.
    await stream.close();
    const second = await waitFor('a socket on the stream’s slot', () =>
      node.connect().catch(() => undefined),
    );
    expect(await subscribe(second, portal)).toMatchObject({ ok: true });
    expect(await refusal(await fetch(streamUrl))).toEqual(tooMany);
    socket.socket.disconnect();
    const again = await waitFor('an event stream on the socket’s slot', async () => {
      const attempt = await sseClient(streamUrl);
      if (attempt.response.status === 200) return attempt;
      await attempt.response.body?.cancel();
      return false;
    });
    cleanups.push(() => again.close());
    await waitFor('its snapshot', () => again.events.some((e) => e.event === 'snapshot'));
  });

  it('resyncs and then disconnects an event-stream client that stops reading, with bounded memory, while others get everything', async () => {
    const buffer = 2; // messages: TICKER_CLIENT_BUFFER × 512 bytes may be queued per client
    const BATCH = 500;
    const node = await startNode({
      TICKER_CLIENT_BUFFER: String(buffer),
      TICKER_MAX_CONNECTIONS_PER_IP: '4',
      TICKER_SSE_HEARTBEAT_MS: '10000',
    });
    const portal = uniqueName('p');
    const path = `${TickerProtocol.streamPath}?portal=${portal}`;
    const fastStream = await node.stream(portal);
    const fastSocket = await node.connect();
    expect(await subscribe(fastSocket, portal)).toMatchObject({ ok: true });
    // Two clients stop reading: one takes what is queued once it is told to resync, one never reads again.
    const catchingUp = await stalledStream(`${node.url}${path}`);
    const gone = await stalledStream(`${node.url}${path}`);
    expect([catchingUp.status, gone.status]).toEqual([200, 200]);
    await waitFor('all four subscribed', () => node.hub.size === 4);
    const connectionsBefore = await openConnections(node.app);

    // The kernel holds megabytes per connection before the server's own queue grows: publish in
    // batches until both stalled clients have been resynced.
    const published: number[] = [];
    let largestQueue = 0;
    for (let batch = 1; node.hub.resyncs < 2; batch += 1) {
      if (batch > 60) throw new Error(`no resync after ${published.length} changes`);
      const events = await appendManyJobsPosted(store, BATCH, { portal });
      const { changes } = await projection.handle(events.map(toFeedEvent));
      await publishTickerChanges(node.transport, feed, changes);
      published.push(...changes.map((c) => c.position));
      await waitFor('the fast clients to keep up', () => {
        const resynced = fastStream.events.find((e) => e.event === 'resync') ?? fastSocket.resyncs[0];
        if (resynced) throw new Error(`a fast client was told to resync: ${JSON.stringify(resynced)}`);
        return [fastSocket.changes, fastStream.events.filter((e) => e.event === 'change')].every(
          (received) => received.length === published.length,
        );
      });
      largestQueue = Math.max(largestQueue, node.controller.queuedBytes);
    }
    expect(node.hub.resyncs).toBe(2);
    expect(node.hub.size).toBe(2);
    // Bounded: per stalled client at most its buffer plus the one batch that crossed it.
    expect(largestQueue).toBeLessThanOrEqual(2 * (buffer + BATCH) * 512);

    // The client that reads again gets the changes queued for it in order, then the resync, then the end.
    const body = await catchingUp.readToEnd();
    const seen = changePositions(body);
    expect(seen).toEqual(published.slice(0, seen.length));
    expect(seen.length).toBeLessThan(published.length);
    const resync = /event: resync\ndata: (.*)\n\n$/.exec(body);
    expect(resync && JSON.parse(resync[1]!)).toEqual({
      reason: 'slow-client',
      head: expect.any(Number),
      generation: 1,
    });

    // The one that never reads is disconnected: no connection, queue or slot stays behind for it.
    // The socket count drops before the response's own 'close' handler forgets its queue: wait for both.
    await waitFor(
      'the server to drop the stalled connections and their queues',
      async () =>
        (await openConnections(node.app)) === connectionsBefore - 2 && node.controller.queuedBytes === 0,
      { timeoutMs: 30_000 },
    );
    expect(node.controller.queuedBytes).toBe(0);
    gone.destroy();

    // Everyone else got every change, in order, and the node still takes new clients.
    expect(fastSocket.changes.map((c) => c.position)).toEqual(published);
    expect(
      fastStream.events.filter((e) => e.event === 'change').map((e) => (e.data as TickerChangeV1).position),
    ).toEqual(published);
    // The stalled clients' slots are back, exactly: two more streams fit under the cap of four, a third does not.
    for (const late of [await node.stream(portal), await node.stream(portal)]) {
      expect(late.response.status).toBe(200);
      await waitFor('a snapshot for a new client', () => late.events.some((e) => e.event === 'snapshot'));
    }
    expect(await refusal(await fetch(`${node.url}${path}`))).toEqual(tooMany);
  }, 240_000);
  it('names the generation in every event id and resumes from Last-Event-ID exactly, also from a bare position of an old client', async () => {
    const node = await startNode({});
    const portal = uniqueName('p');
    const streamUrl = `${node.url}${TickerProtocol.streamPath}?portal=${portal}`;
    const before = (
      await projection.handle((await appendManyJobsPosted(store, 2, { portal })).map(toFeedEvent))
    ).changes;
    await publishTickerChanges(node.transport, feed, before);
    const since = before[before.length - 1]!.position;

    const stream = await node.stream(portal);
    const snapshot = await waitFor('the snapshot', () => stream.events.find((e) => e.event === 'snapshot'));
    expect(snapshot).toMatchObject({ id: `1:${since}`, data: { head: since, generation: 1 } });
    const missed = (
      await projection.handle((await appendManyJobsPosted(store, 2, { portal })).map(toFeedEvent))
    ).changes;
    await publishTickerChanges(node.transport, feed, missed);
    await waitFor('the live changes', () => stream.events.filter((e) => e.event === 'change').length >= 2);
    expect(stream.events.filter((e) => e.event === 'change').map((e) => e.id)).toEqual(
      missed.map((c) => `1:${c.position}`),
    );

    const resume = async (lastEventId: string | null, query = '') => {
      const client = await sseClient(
        `${streamUrl}${query}`,
        lastEventId === null ? {} : { 'last-event-id': lastEventId },
      );
      cleanups.push(() => client.close());
      return waitFor(
        'the opening',
        () =>
          client.events.find((e) => e.event === 'snapshot') ??
          (client.events.filter((e) => e.event === 'change').length >= missed.length
            ? client.events
            : undefined),
      );
    };
    const exactly = missed.map((c) => ({
      event: 'change',
      id: `1:${c.position}`,
      data: expect.objectContaining({ position: c.position }),
    }));
    // Its own id, a bare number (an old client's id means generation 1) and the query's since/generation.
    expect(await resume(`1:${since}`)).toEqual(exactly);
    expect(await resume(String(since))).toEqual(exactly);
    expect(await resume(null, `&since=${since}&generation=1`)).toEqual(exactly);
    // A position of another generation, or an id that is not one, gets a snapshot.
    for (const [id, query] of [
      [`2:${since}`, ''],
      ['abc', ''],
      [null, `&since=${since}&generation=2`],
    ] as const) {
      expect(await resume(id, query)).toMatchObject({ event: 'snapshot', id: `1:${missed[1]!.position}` });
    }
  });

  it('ends every event stream and socket with one resync when a newer generation is announced', async () => {
    const node = await startNode({});
    const portal = uniqueName('p');
    const stream = await node.stream(portal);
    const socket = await node.connect();
    expect(await subscribe(socket, portal)).toMatchObject({ ok: true, generation: 1 });
    await waitFor('the snapshot', () => stream.events.some((e) => e.event === 'snapshot'));
    const { head } = await feed.state();

    await publishGenerationMarker(node.transport, { generation: 2, head });
    await publishGenerationMarker(node.transport, { generation: 2, head });

    const rebuilt = { reason: 'rebuilt', head, generation: 2 };
    await stream.ended;
    expect(stream.events.filter((e) => e.event === 'resync')).toEqual([
      { event: 'resync', id: undefined, data: rebuilt },
    ]);
    await waitFor('the socket’s resync', () => socket.resyncs.length >= 1);
    expect(socket.resyncs).toEqual([rebuilt]);
    expect(node.hub.resyncs).toBe(2);
  });
});
