import { createServer, type Server as HttpServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import {
  TickerProtocol,
  type TickerChangeV1,
  type TickerItemV1,
  type TickerItemRecord,
  type TickerSubscribeAck,
  Topics,
  toFeedEvent,
} from '@feedwerk/contracts';
import { EventStore } from '@feedwerk/event-store';
import { loadConfig } from '@feedwerk/platform';
import { ActivityFeed, ActivityProjection } from '@feedwerk/read-models';
import { appendJobPosted, openTestDatabase, uniqueName, waitFor } from '@feedwerk/testing';
import { InProcessTransport } from '@feedwerk/transport';
import { Server } from 'socket.io';
import { io, type Socket } from 'socket.io-client';
import { TickerHub } from './ticker.hub';

describe('ticker hub: feed order, no gap, no duplicate', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let store: EventStore;
  let projection: ActivityProjection;
  let feed: ActivityFeed;
  let transport: InProcessTransport;
  let hub: TickerHub;
  let http: HttpServer;
  let server: Server;
  let url: string;
  const clients: Socket[] = [];

  beforeAll(async () => {
    db = await openTestDatabase();
    store = new EventStore(db.dataSource);
    projection = new ActivityProjection(db.dataSource, store);
    feed = new ActivityFeed(db.dataSource);
    transport = new InProcessTransport();
    hub = new TickerHub(
      feed,
      transport,
      loadConfig({ TICKER_NODE_ID: uniqueName('n'), TICKER_HISTORY: '5' }),
    );
    await hub.onModuleInit();
    http = createServer();
    server = new Server(http);
    const namespace = server.of(TickerProtocol.namespace);
    hub.attach(namespace);
    namespace.on('connection', (socket) =>
      socket.on(TickerProtocol.subscribe, (body: unknown, ack: (a: TickerSubscribeAck) => void) => {
        void hub.subscribe(socket, body, ack);
      }),
    );
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    clients.forEach((c) => c.disconnect());
    await hub.onModuleDestroy();
    await new Promise<void>((resolve) => {
      void server.close(() => resolve());
    });
    await db.close();
  });

  async function connect(portal: string) {
    const socket = io(`${url}${TickerProtocol.namespace}`, {
      transports: ['websocket'],
      reconnection: false,
    });
    clients.push(socket);
    const items: TickerItemV1[] = [];
    socket.on(TickerProtocol.change, (change: TickerChangeV1) => {
      if (change.op === 'upsert') items.push(change.item);
    });
    const ack = (await socket
      .timeout(5_000)
      .emitWithAck(TickerProtocol.subscribe, { portal })) as TickerSubscribeAck;
    return { items, ack };
  }

  /** Projects `n` new jobs on a portal into the read model (not yet published) and returns their records. */
  async function project(portal: string, n: number): Promise<TickerItemRecord[]> {
    const events = [];
    for (let i = 0; i < n; i += 1) events.push(toFeedEvent(await appendJobPosted(store, { portal })));
    return [...(await projection.handle(events)).items];
  }

  const publish = (records: readonly TickerItemRecord[]) =>
    transport.publish(
      Topics.tickerChanges,
      records.map((r) => ({
        key: 'feed',
        value: JSON.stringify({ op: 'upsert', position: r.position, item: r, previousKind: null }),
        headers: {},
      })),
    );

  it('fills a hole from the read model before delivering a later item, and drops a redelivered one', async () => {
    const portal = uniqueName('p');
    const client = await connect(portal);
    expect(client.ack).toMatchObject({ ok: true, mode: 'snapshot', items: [] });
    const [a, b, c] = await project(portal, 3);

    await publish([c!]); // a and b never arrive through the topic
    await publish([b!, c!]); // late duplicates
    await waitFor('three items', () => client.items.length >= 3);
    await feed.markPublished(c!.position);
    await publish([a!]);

    expect(client.items.map((i) => i.position)).toEqual([a!.position, b!.position, c!.position]);
    expect(client.items.every((i) => i.text === 'Neue Stellenanzeige eingestellt')).toBe(true);
  });

  it('acks a new subscriber with history that ends exactly where its live items begin', async () => {
    const portal = uniqueName('p');
    const earlier = await project(portal, 7);
    await publish(earlier);
    const client = await connect(portal);
    expect(
      client.ack.ok && client.ack.mode === 'snapshot' && client.ack.items.map((i) => i.position),
    ).toEqual(
      earlier
        .slice(-5)
        .map((r) => r.position)
        .reverse(),
    );
    const later = await project(portal, 2);
    await publish(later);
    await waitFor('the two live items', () => client.items.length >= 2);
    expect(client.items.map((i) => i.position)).toEqual(later.map((r) => r.position));
  });

  it('catches up on items published before its consumer saw them', async () => {
    const portal = uniqueName('p');
    const client = await connect(portal);
    const missed = await project(portal, 2);
    await feed.markPublished(missed[1]!.position); // published, but this node's consumer never got them
    await waitFor('the missed items', () => client.items.length >= 2, { timeoutMs: 10_000 });
    expect(client.items.map((i) => i.position)).toEqual(missed.map((r) => r.position));
  });

  it('answers an invalid subscription with a reason instead of joining', async () => {
    const socket = io(`${url}${TickerProtocol.namespace}`, {
      transports: ['websocket'],
      reconnection: false,
    });
    clients.push(socket);
    const ack = (await socket
      .timeout(5_000)
      .emitWithAck(TickerProtocol.subscribe, { portal: 'Not A Slug!' })) as TickerSubscribeAck;
    expect(ack.ok).toBe(false);
    expect(!ack.ok && ack.error).toMatch(/portal/);
  });
});
