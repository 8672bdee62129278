import { createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import {
  type FeedEvent,
  type TickerChangeRecord,
  type TickerChangeV1,
  TickerProtocol,
  type TickerSubscribeAck,
  Topics,
  toFeedEvent,
} from '@feedwerk/contracts';
import { EventStore } from '@feedwerk/event-store';
import { loadConfig } from '@feedwerk/platform';
import { ActivityFeed, ActivityProjection } from '@feedwerk/read-models';
import {
  appendJobPosted,
  publishTickerChanges,
  tickerSocket,
  uniqueName,
  waitFor,
  openTestStore,
  type TestDatabase,
  appendJobClosed,
} from '@feedwerk/testing';
import { InProcessTransport } from '@feedwerk/transport';
import { Server } from 'socket.io';
import { type Socket } from 'socket.io-client';
import { TickerAccess } from './ticker.access';
import { TickerGateway } from './ticker.gateway';
import { TickerHub } from './ticker.hub';

describe('ticker node on PostgreSQL with socket.io clients', () => {
  let db: TestDatabase, store: EventStore;
  let projection: ActivityProjection;
  let feed: ActivityFeed;
  let transport: InProcessTransport;
  const cleanups: (() => Promise<void> | void)[] = [];

  beforeAll(async () => {
    ({ db, store } = await openTestStore());
    projection = new ActivityProjection(db.dataSource, store, { burstWindowMs: 0 });
    feed = new ActivityFeed(db.dataSource);
    transport = new InProcessTransport();
  });
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await db.close();
  });

  /** One ticker node (hub + gateway wired as Nest does) on its own port, with its own settings. */
  async function startNode(env: Record<string, string> = {}) {
    const config = loadConfig({ TICKER_NODE_ID: uniqueName('n'), ...env });
    const hub = new TickerHub(feed, transport, config);
    const access = new TickerAccess(config);
    const gateway = new TickerGateway(hub, access, config);
    await hub.onModuleInit();
    const http = createServer();
    const server = new Server(http, { maxHttpBufferSize: 4096, perMessageDeflate: false, cookie: false });
    const namespace = server.of(TickerProtocol.namespace);
    gateway.afterInit(namespace);
    namespace.on('connection', (socket) => gateway.handleConnection(socket));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    let stopped = false;
    const stop = async () => {
      if (stopped) return;
      stopped = true;
      await hub.onModuleDestroy();
      await new Promise<void>((resolve) => void server.close(() => resolve()));
    };
    cleanups.push(stop);
    return { url, hub, gateway, access, stop, engine: server.engine };
  }

  async function connect(url: string, options: Parameters<typeof tickerSocket>[1] = {}) {
    const client = await tickerSocket(url, options);
    cleanups.push(() => void client.socket.disconnect());
    return client;
  }

  const subscribe = async (socket: Socket, request: Record<string, unknown>) =>
    (await socket.timeout(10_000).emitWithAck(TickerProtocol.subscribe, request)) as TickerSubscribeAck;

  /** Projects events into the read model (not yet published). */
  const project = async (events: FeedEvent[]) => [...(await projection.handle(events)).changes];
  const postJobs = async (portal: string, n: number, overrides: Record<string, unknown> = {}) => {
    const events: FeedEvent[] = [];
    for (let i = 0; i < n; i += 1)
      events.push(toFeedEvent(await appendJobPosted(store, { portal, ...overrides })));
    return events;
  };
  const closeJob = async (posted: FeedEvent) => toFeedEvent(await appendJobClosed(store, posted));
  const publish = (changes: readonly TickerChangeRecord[]) => publishTickerChanges(transport, feed, changes);
  const positions = (changes: readonly TickerChangeV1[]) => changes.map((c) => c.position);

  it('fills a hole from the read model before delivering a later change, and drops a redelivered one', async () => {
    const node = await startNode();
    const portal = uniqueName('p');
    const client = await connect(node.url);
    expect(await subscribe(client.socket, { portal })).toMatchObject({
      ok: true,
      mode: 'snapshot',
      items: [],
    });
    const [a, b, c] = await project(await postJobs(portal, 3));

    await transport.publish(Topics.tickerChanges, [{ key: 'feed', value: JSON.stringify(c), headers: {} }]);
    await transport.publish(
      Topics.tickerChanges,
      [b!, c!].map((x) => ({ key: 'feed', value: JSON.stringify(x), headers: {} })),
    );
    await waitFor('three changes', () => client.changes.length >= 3);
    await publish([a!]);

    expect(positions(client.changes)).toEqual([a!.position, b!.position, c!.position]);
    expect(
      client.changes.every((x) => x.op === 'upsert' && x.item.text === 'Neue Stellenanzeige eingestellt'),
    ).toBe(true);
  });

  it('acks a snapshot (newest first, limited) that ends exactly where its live changes begin', async () => {
    const node = await startNode();
    const portal = uniqueName('p');
    const earlier = await project(await postJobs(portal, 7));
    await publish(earlier);
    const client = await connect(node.url);
    const ack = await subscribe(client.socket, { portal, limit: 5 });
    expect(ack.ok && ack.mode === 'snapshot' && ack.items.map((i) => i.order)).toEqual(
      earlier
        .slice(-5)
        .map((c) => c.position)
        .reverse(),
    );
    const later = await project(await postJobs(portal, 2));
    await publish(later);
    await waitFor('the two live changes', () => client.changes.length >= 2);
    expect(positions(client.changes)).toEqual(later.map((c) => c.position));
  });

  it('resumes from `since` with exactly the missed changes, retractions included, then live', async () => {
    const node = await startNode();
    const portal = uniqueName('p');
    const [kept, closed] = await postJobs(portal, 2);
    await publish(await project([kept!, closed!]));
    const { head: since } = await feed.state();
    const missed = await project([await closeJob(closed!), ...(await postJobs(portal, 1))]);
    await publish(missed);

    const client = await connect(node.url);
    const ack = await subscribe(client.socket, { portal, since });
    expect(ack).toMatchObject({ ok: true, mode: 'changes', head: missed[1]!.position });
    expect(ack.ok && ack.mode === 'changes' && ack.changes).toEqual([
      { op: 'retract', position: since + 1, id: closed!.id },
      expect.objectContaining({ op: 'upsert', position: since + 2 }),
    ]);

    // A retraction reaches the connected client live.
    const live = await project([await closeJob(kept!)]);
    await publish(live);
    await waitFor('the live retraction', () => client.changes.length >= 1);
    expect(client.changes).toEqual([{ op: 'retract', position: live[0]!.position, id: kept!.id }]);
  });

  it('answers a `since` it cannot serve exactly with a snapshot', async () => {
    const node = await startNode();
    const client = await connect(node.url);
    const { head } = await feed.state();
    for (const since of [-1, 'abc', 1e18, head + 1000, 1.5]) {
      const ack = await subscribe(client.socket, { portal: 'berlin', since });
      expect(ack).toMatchObject({ ok: true, mode: 'snapshot' });
    }
  });

  it('applies type, region and category filters to snapshots and live changes', async () => {
    const node = await startNode();
    const portal = uniqueName('p');
    const client = await connect(node.url);
    const ack = await subscribe(client.socket, {
      portal,
      types: ['job.posted'],
      region: 'Bayern',
      category: 'it',
      lang: 'en',
    });
    expect(ack).toMatchObject({ ok: true, mode: 'snapshot' });
    const matching = await postJobs(portal, 1, {
      location: { city: 'München', region: 'Bayern', postcode: '80331' },
      category: 'it',
    });
    const otherRegion = await postJobs(portal, 1, { category: 'it' });
    const otherCategory = await postJobs(portal, 1, {
      location: { city: 'München', region: 'Bayern', postcode: '80331' },
    });
    await publish(await project([...otherRegion, ...matching, ...otherCategory]));
    await waitFor('the matching change', () => client.changes.length >= 1);
    const again = await subscribe(client.socket, {
      portal,
      region: 'Bayern',
      category: 'it',
      types: ['job.posted'],
    });
    expect(again.ok && again.mode === 'snapshot' && again.items.map((i) => i.id)).toEqual([matching[0]!.id]);
    expect(client.changes).toEqual([
      expect.objectContaining({
        op: 'upsert',
        item: expect.objectContaining({ id: matching[0]!.id, text: 'New job ad posted' }),
      }),
    ]);
  });

  it('answers an invalid subscription with a reason, and ignores unknown client events', async () => {
    const node = await startNode();
    const client = await connect(node.url);
    for (const [request, reason] of [
      [{ portal: 'Not A Slug!' }, /portal/],
      [{ portal: 'berlin', limit: 51 }, /limit/],
      [{ portal: 'berlin', types: ['job.deleted'] }, /types/],
      [{ portal: 'berlin', lang: 'fr' }, /lang/],
      [{ portal: 'berlin', admin: true }, /admin|unrecognized/i],
    ] as const) {
      const ack = await subscribe(client.socket, request);
      expect(ack.ok).toBe(false);
      expect(!ack.ok && ack.error).toMatch(reason);
    }
    expect(await subscribe(client.socket, { portal: 'berlin' })).toMatchObject({ ok: true });
    client.socket.emit('publish', { anything: 1 });
    client.socket.emit('ticker.admin');
    await waitFor('the ignored events to be counted', () => node.gateway.ignoredEvents >= 2);
    expect(await subscribe(client.socket, { portal: 'berlin' })).toMatchObject({ ok: true });
  });

  it('slows down a client that keeps re-subscribing', async () => {
    const node = await startNode();
    const client = await connect(node.url);
    const acks: TickerSubscribeAck[] = [];
    for (let i = 0; i < 12; i += 1) acks.push(await subscribe(client.socket, { portal: 'berlin' }));
    expect(acks.filter((a) => a.ok)).toHaveLength(10);
    expect(acks[11]).toMatchObject({ ok: false, error: expect.stringMatching(/too many/) });
  });

  it('refuses a page origin that is not allow-listed, over long-polling and websocket, and per portal', async () => {
    const node = await startNode({
      TICKER_ALLOWED_ORIGINS: 'berlin=https://jobs-berlin.example;*=https://feedwerk.example',
    });
    for (const transports of [['polling'], ['websocket']] as const) {
      await expect(
        connect(node.url, { transports: [...transports], extraHeaders: { origin: 'https://evil.example' } }),
      ).rejects.toThrow();
    }
    const berlinPage = await connect(node.url, {
      transports: ['polling'],
      extraHeaders: { origin: 'https://jobs-berlin.example' },
    });
    expect(await subscribe(berlinPage.socket, { portal: 'berlin' })).toMatchObject({ ok: true });
    const refused = await subscribe(berlinPage.socket, { portal: 'hamburg' });
    expect(refused).toMatchObject({ ok: false, error: expect.stringMatching(/origin/) });
    const shared = await connect(node.url, { extraHeaders: { origin: 'https://feedwerk.example' } });
    expect(await subscribe(shared.socket, { portal: 'hamburg' })).toMatchObject({ ok: true });
  });

  it('refuses connections beyond the per-IP cap and frees a slot when one closes', async () => {
    const node = await startNode({ TICKER_MAX_CONNECTIONS_PER_IP: '2' });
    const first = await connect(node.url);
    await connect(node.url, { transports: ['polling'] });
    await expect(connect(node.url)).rejects.toThrow();
    first.socket.disconnect();
    const again = await waitFor('a free slot', async () => {
      try {
        return await connect(node.url);
      } catch {
        return false;
      }
    });
    expect(await subscribe(again.socket, { portal: 'berlin' })).toMatchObject({ ok: true });
  });

  it('tells a client that stops reading to resync instead of buffering for it without bound', async () => {
    const node = await startNode({ TICKER_CLIENT_BUFFER: '3' });
    const portal = uniqueName('p');
    const slow = await connect(node.url, { transports: ['polling'] });
    const fast = await connect(node.url);
    await subscribe(slow.socket, { portal });
    await subscribe(fast.socket, { portal });
    // Long-polling: the server queues packets until the client polls again; this client stops polling
    // once its pending poll returns (with the first batch).
    const engine = slow.socket.io.engine as unknown as {
      transport: { pause(done: () => void): void; _poll(): void; readyState: string };
    };
    const paused = new Promise<void>((resolve) => engine.transport.pause(resolve));
    const changes = await project(await postJobs(portal, 12));
    await publish(changes.slice(0, 2));
    await paused;
    // One burst is queued whole; what is still queued when the next arrives is a client not keeping up.
    await publish(changes.slice(2, 7));
    await waitFor('the fast client to get the burst', () => fast.changes.length >= 7);
    await publish(changes.slice(7));
    await waitFor('the fast client to get everything', () => fast.changes.length >= 12);
    await waitFor('the slow client to be told to resync', () => node.hub.resyncs >= 1);
    expect(node.hub.resyncs).toBe(1);
    expect(positions(fast.changes)).toEqual(changes.map((c) => c.position));

    engine.transport.readyState = 'open';
    engine.transport._poll();
    await waitFor('the resync at the slow client', () => slow.resyncs.length >= 1);
    expect(slow.resyncs).toEqual([{ reason: 'slow-client', head: changes[7]!.position, generation: 1 }]);
    // Its queued changes were dropped: it holds at most the first batch.
    expect(slow.changes.length).toBeLessThanOrEqual(2);
    const ack = await subscribe(slow.socket, { portal, limit: 50 });
    expect(ack.ok && ack.mode === 'snapshot' && ack.items).toHaveLength(12);
  });

  it('writes each websocket client its burst of changes at once, in order', async () => {
    const node = await startNode();
    const portal = uniqueName('p');
    const clients = await Promise.all(Array.from({ length: 5 }, () => connect(node.url)));
    for (const client of clients) await subscribe(client.socket, { portal });
    // engine.io's flushes, per connection: one per write to the transport.
    const flushes = new Map<string, number[]>();
    node.engine.on('flush', (socket: { id: string }, buffer: unknown[]) => {
      flushes.set(socket.id, [...(flushes.get(socket.id) ?? []), buffer.length]);
    });
    const changes = await project(await postJobs(portal, 20));
    await publish(changes);
    for (const client of clients) {
      await waitFor('the whole burst', () => client.changes.length >= 20);
      expect(positions(client.changes)).toEqual(changes.map((c) => c.position));
    }
    // Without batching, the first change goes alone and the other 19 follow in a second flush.
    expect([...flushes.values()]).toEqual(clients.map(() => [20]));
  });

  it('serves a storm of subscriptions with one read per box, and every client its live changes exactly once', async () => {
    const node = await startNode({ TICKER_MAX_CONNECTIONS_PER_IP: '100' });
    const [berlin, hamburg] = [uniqueName('p'), uniqueName('p')];
    const before = await project([...(await postJobs(berlin, 2)), ...(await postJobs(hamburg, 1))]);
    await publish(before);
    await waitFor('the node to reach the head', () => node.hub.publishedSeen >= before.at(-1)!.position);
    const reads = jest.spyOn(feed, 'open');
    try {
      const clients = await Promise.all(Array.from({ length: 60 }, () => connect(node.url)));
      const acks = await Promise.all(
        clients.map((client, i) => subscribe(client.socket, { portal: i % 2 === 0 ? berlin : hamburg })),
      );
      // 60 subscriptions, two boxes: far fewer reads than subscriptions (how many depends on how the
      // subscriptions spread over turns of the chain; one read each would be 60).
      expect(reads.mock.calls.length).toBeLessThanOrEqual(20);
      expect(acks.map((ack) => ack.ok && ack.mode === 'snapshot' && ack.items.length)).toEqual(
        clients.map((_, i) => (i % 2 === 0 ? 2 : 1)),
      );
      const live = await project(await postJobs(berlin, 3));
      await publish(live);
      // Then one for the other box: delivered in position order, so once it is there, anything the
      // node would have sent twice or to the wrong box is there too.
      const last = await project(await postJobs(hamburg, 1));
      await publish(last);
      for (const [i, client] of clients.entries()) {
        await waitFor('the live changes', () => client.changes.length >= (i % 2 === 0 ? 3 : 1));
      }
      expect(clients.map((client) => positions(client.changes))).toEqual(
        clients.map((_, i) => (i % 2 === 0 ? live : last).map((c) => c.position)),
      );
    } finally {
      reads.mockRestore();
    }
  });

  it('lets two nodes each deliver every change to their own clients', async () => {
    const [one, two] = [await startNode(), await startNode()];
    const portal = uniqueName('p');
    const a = await connect(one.url);
    const b = await connect(two.url);
    await subscribe(a.socket, { portal });
    await subscribe(b.socket, { portal });
    const changes = await project(await postJobs(portal, 4));
    await publish(changes);
    for (const client of [a, b]) {
      await waitFor('all four changes', () => client.changes.length >= 4);
      expect(positions(client.changes)).toEqual(changes.map((c) => c.position));
    }
  });

  it('catches up on changes published before its consumer saw them', async () => {
    const node = await startNode();
    const portal = uniqueName('p');
    const client = await connect(node.url);
    await subscribe(client.socket, { portal });
    const missed = await project(await postJobs(portal, 2));
    await feed.markPublished(missed[1]!.position); // published, but this node's consumer never got them
    await waitFor('the missed changes', () => client.changes.length >= 2, { timeoutMs: 10_000 });
    expect(positions(client.changes)).toEqual(missed.map((c) => c.position));
  });

  it('drops a client that stops answering heartbeats, and forgets its subscription', async () => {
    const node = await startNode({ TICKER_PING_INTERVAL_MS: '200', TICKER_PING_TIMEOUT_MS: '300' });
    const silent = await connect(node.url, { transports: ['polling'] });
    await subscribe(silent.socket, { portal: 'berlin' });
    expect(node.hub.size).toBe(1);
    const engine = silent.socket.io.engine as unknown as { transport: { pause(done: () => void): void } };
    await new Promise<void>((resolve) => engine.transport.pause(resolve));
    await waitFor('the silent client to be dropped', () => node.hub.size === 0, { timeoutMs: 15_000 });
  });

  it('keeps no subscription for a client that left while its opening was read', async () => {
    const node = await startNode();
    const client = await connect(node.url);
    const pending = client.socket.timeout(2_000).emitWithAck(TickerProtocol.subscribe, { portal: 'berlin' });
    client.socket.disconnect();
    await expect(pending).rejects.toThrow();
    await waitFor('the hub to settle', async () => {
      await node.hub.snapshot({ portal: 'berlin' }, 'de', 1);
      return node.hub.size === 0;
    });
  });

  // Last in this file: it rewinds the shared feed.
  it('tells every client to resync when the feed restarts below what the node delivered', async () => {
    const node = await startNode();
    const portal = uniqueName('p');
    const client = await connect(node.url);
    await subscribe(client.socket, { portal });
    await publish(await project(await postJobs(portal, 1)));
    await waitFor('the posting', () => client.changes.length >= 1);
    const { published } = await feed.state();
    await waitFor('the node to read the published position', () => node.hub.publishedSeen >= published, {
      timeoutMs: 10_000,
    });
    await db.dataSource.query(
      `UPDATE projection_state SET published_position = 0 WHERE projection = 'activity@2'`,
    );
    try {
      await waitFor('the rebuilt resync', () => client.resyncs.length >= 1, { timeoutMs: 10_000 });
      expect(client.resyncs).toEqual([{ reason: 'rebuilt', head: 0, generation: 1 }]);
    } finally {
      await feed.markPublished(published);
    }
  });
});
