import { createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import {
  type FeedEvent,
  type TickerChangeRecord,
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
  openTestDatabase,
  publishGenerationMarker,
  publishTickerChanges,
  rebuildActivity,
  testKafkaTransport,
  tickerSocket,
  uniqueName,
  waitFor,
} from '@feedwerk/testing';
import { encodeTickerChange, InProcessTransport, type MessageTransport } from '@feedwerk/transport';
import { Server } from 'socket.io';
import { type Socket } from 'socket.io-client';
import { TickerAccess } from './ticker.access';
import { TickerGateway } from './ticker.gateway';
import { TickerHub } from './ticker.hub';

/**
 * A ticker node across a blue/green switch of the activity projection, on PostgreSQL with real
 * socket.io clients, in both modes: Kafka and the embedded in-process transport. Generation 2 is
 * rebuilt by the rebuild engine beside generation 1 from the same events (with another burst window,
 * so that its box differs visibly) and switched live in projection_live. Each test has a database of
 * its own, so each starts at generation 1.
 */
const transports: [string, () => MessageTransport][] = [
  ['Kafka', () => testKafkaTransport('ticker-generations-test')],
  ['the in-process transport (embedded mode)', () => new InProcessTransport()],
];

describe.each(transports)(
  'ticker node across a rebuild (generations) on %s with socket.io clients',
  (_, create) => {
    const transport = create();
    const cleanups: (() => Promise<void> | void)[] = [];

    beforeAll(async () => {
      await transport.ensureTopics([{ topic: Topics.tickerChanges, partitions: 1, replicationFactor: 1 }]);
    });
    afterAll(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
      await transport.close();
    });

    /**
     * A fresh activity read model at generation 1, its live projector (no burst window) and, for
     * after the switch, the projector with the one-hour window generation 2 is rebuilt with.
     */
    async function openFeed() {
      const db = await openTestDatabase();
      cleanups.push(() => db.close());
      const store = new EventStore(db.dataSource);
      const postJobs = async (portal: string, n: number) => {
        const events: FeedEvent[] = [];
        for (let i = 0; i < n; i += 1) events.push(toFeedEvent(await appendJobPosted(store, { portal })));
        return events;
      };
      return {
        feed: new ActivityFeed(db.dataSource),
        postJobs,
        projectionOne: new ActivityProjection(db.dataSource, store, { burstWindowMs: 0 }),
        projectionTwo: new ActivityProjection(db.dataSource, store, { burstWindowMs: 3_600_000 }),
        /** Rebuilds generation 2 from every event with the one-hour window and switches it live. */
        rebuild: () => rebuildActivity(db.dataSource, store, { burstWindowMs: 3_600_000 }),
      };
    }

    async function startNode(feed: ActivityFeed) {
      const config = loadConfig({ TICKER_NODE_ID: uniqueName('n') });
      const hub = new TickerHub(feed, transport, config);
      const gateway = new TickerGateway(hub, new TickerAccess(config), config);
      await hub.onModuleInit();
      const http = createServer();
      const server = new Server(http, { perMessageDeflate: false, cookie: false });
      const namespace = server.of(TickerProtocol.namespace);
      gateway.afterInit(namespace);
      namespace.on('connection', (socket) => gateway.handleConnection(socket));
      await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
      cleanups.push(async () => {
        await hub.onModuleDestroy();
        await new Promise<void>((resolve) => void server.close(() => resolve()));
      });
      return { url, hub };
    }

    async function connect(url: string) {
      const client = await tickerSocket(url);
      cleanups.push(() => void client.socket.disconnect());
      return client;
    }

    const subscribe = async (socket: Socket, request: Record<string, unknown>) =>
      (await socket.timeout(10_000).emitWithAck(TickerProtocol.subscribe, request)) as TickerSubscribeAck;

    /**
     * Publishes generation-1 changes through the transport only (not marked published, so the node's
     * read-model catch-up cannot deliver them) and waits until `client` got them: the node's consumer is live.
     */
    async function throughTransport(
      feed: ActivityFeed,
      client: { changes: readonly unknown[] },
      changes: readonly TickerChangeRecord[],
    ) {
      const before = client.changes.length;
      await transport.publish(
        Topics.tickerChanges,
        changes.map((c) => encodeTickerChange(c, 1)),
      );
      await waitFor(
        'the changes through the transport',
        () => client.changes.length >= before + changes.length,
        {
          timeoutMs: 60_000,
        },
      );
      await feed.markPublished(changes[changes.length - 1]!.position, 1);
    }

    it('adopts a newer generation from its marker: every client resyncs once, snapshots and changes come from the new generation, late old changes are dropped', async () => {
      const { feed, postJobs, projectionOne, projectionTwo, rebuild } = await openFeed();
      const node = await startNode(feed);
      const portal = uniqueName('p');
      const fresh = await connect(node.url);
      const resumed = await connect(node.url);
      expect(await subscribe(fresh.socket, { portal })).toMatchObject({ ok: true, generation: 1 });
      const history = await postJobs(portal, 3);
      const oldChanges = (await projectionOne.handle(history)).changes;
      await throughTransport(feed, fresh, oldChanges);
      const resumedAck = await subscribe(resumed.socket, { portal, since: oldChanges[0]!.position });
      expect(resumedAck).toMatchObject({ ok: true, mode: 'changes', generation: 1 });
      // A change of generation 1 its publisher had not sent yet when the switch came: it arrives late.
      const [late] = (await projectionOne.handle(await postJobs(portal, 1))).changes;

      const switched = await rebuild();
      expect(switched.generation).toBe(2);
      await publishGenerationMarker(transport, { generation: 2, head: switched.published });

      const rebuilt = { reason: 'rebuilt', head: switched.published, generation: 2 };
      await waitFor('both clients to be told', () => fresh.resyncs.length + resumed.resyncs.length >= 2, {
        timeoutMs: 60_000,
      });
      expect(node.hub.currentGeneration).toBe(2);

      // The marker again (a publisher restarted) and the late change of generation 1: nobody hears of them.
      await publishGenerationMarker(transport, { generation: 2, head: switched.published });
      await transport.publish(Topics.tickerChanges, [encodeTickerChange(late!, 1)]);

      // Re-subscribing without `since`: generation 2's box (the four postings are one burst there).
      const ack = await subscribe(fresh.socket, { portal });
      expect(ack).toMatchObject({ ok: true, mode: 'snapshot', head: switched.head, generation: 2 });
      expect(ack.ok && ack.mode === 'snapshot' && ack.items).toEqual([
        expect.objectContaining({ kind: 'jobs.burst', count: 4, text: 'Neue Jobangebote verfügbar' }),
      ]);

      // A position of generation 1 is never answered with generation 2's changes, with or without its generation.
      for (const stale of [
        { since: 1, generation: 1 },
        { since: 1 },
        { since: switched.head, generation: 1 },
      ]) {
        expect(await subscribe(resumed.socket, { portal, ...stale })).toMatchObject({
          ok: true,
          mode: 'snapshot',
          generation: 2,
        });
      }
      expect(await subscribe(resumed.socket, { portal, since: switched.head, generation: 2 })).toMatchObject({
        ok: true,
        mode: 'changes',
        changes: [],
        generation: 2,
      });

      // Generation 2 goes on live: a posting within the window grows its burst in place.
      const [grown] = (await projectionTwo.handle(await postJobs(portal, 1))).changes;
      await publishTickerChanges(transport, feed, [grown!], 2);
      for (const client of [fresh, resumed]) {
        await waitFor(
          'the new generation’s change',
          () => client.changes.length > 0 && client.changes.at(-1),
        );
      }
      expect(fresh.changes.at(-1)).toEqual({
        op: 'upsert',
        position: switched.head + 1,
        item: expect.objectContaining({ kind: 'jobs.burst', count: 5 }),
      });
      expect(resumed.changes.at(-1)).toEqual(fresh.changes.at(-1));
      // Exactly once each, and the late generation-1 change reached nobody.
      expect(fresh.resyncs).toEqual([rebuilt]);
      expect(resumed.resyncs).toEqual([rebuilt]);
      expect(node.hub.resyncs).toBe(2);
      expect(fresh.changes.map((c) => c.position)).toEqual([
        ...oldChanges.map((c) => c.position),
        switched.head + 1,
      ]);
      expect(fresh.changes.some((c) => c.op === 'upsert' && c.item.id === late!.item.id)).toBe(false);
    }, 120_000);

    it('learns of a switch it missed from the read model, and a node started after it serves the new generation', async () => {
      const { feed, postJobs, projectionOne, rebuild } = await openFeed();
      const node = await startNode(feed);
      const portal = uniqueName('p');
      const client = await connect(node.url);
      expect(await subscribe(client.socket, { portal })).toMatchObject({ ok: true, generation: 1 });
      const history = await postJobs(portal, 2);
      await projectionOne.handle(history);
      const switched = await rebuild();

      // No marker: the node's catch-up finds the new generation in the read model.
      await waitFor('the rebuilt resync', () => client.resyncs.length >= 1, { timeoutMs: 30_000 });
      expect(client.resyncs).toEqual([{ reason: 'rebuilt', head: switched.published, generation: 2 }]);

      const later = await startNode(feed);
      expect(later.hub.currentGeneration).toBe(2);
      const newcomer = await connect(later.url);
      const ack = await subscribe(newcomer.socket, { portal, since: 1 });
      expect(ack).toMatchObject({ ok: true, mode: 'snapshot', head: switched.head, generation: 2 });
      expect(ack.ok && ack.mode === 'snapshot' && ack.items.map((i) => i.count)).toEqual([2]);
    }, 120_000);

    it('adopts a switch at a subscribe that reads the new generation before the node heard of it', async () => {
      const { feed, postJobs, projectionOne, rebuild } = await openFeed();
      const node = await startNode(feed);
      const portal = uniqueName('p');
      const early = await connect(node.url);
      expect(await subscribe(early.socket, { portal })).toMatchObject({ ok: true, generation: 1 });
      const history = await postJobs(portal, 2);
      await projectionOne.handle(history);
      const switched = await rebuild();

      const late = await connect(node.url);
      const ack = await subscribe(late.socket, { portal });
      expect(ack).toMatchObject({ ok: true, mode: 'snapshot', generation: 2 });
      expect(node.hub.currentGeneration).toBe(2);
      // The subscriber of generation 1 was told at that moment, and only once.
      await waitFor('the early client’s resync', () => early.resyncs.length >= 1);
      expect(early.resyncs).toEqual([{ reason: 'rebuilt', head: switched.published, generation: 2 }]);
      expect(late.resyncs).toEqual([]);
    }, 120_000);
  },
);
