import { type FeedEvent, PublicTopics, TickerProtocol, Topics, toFeedEvent } from '@feedwerk/contracts';
import { EventStore } from '@feedwerk/event-store';
import { loadConfig } from '@feedwerk/platform';
import { ActivityFeed, ActivityProjection } from '@feedwerk/read-models';
import {
  appendJobPosted,
  rebuildActivity,
  testKafkaTransport,
  uniqueName,
  waitFor,
  openTestStore,
  type TestDatabase,
} from '@feedwerk/testing';
import { InProcessTransport, type MessageTransport } from '@feedwerk/transport';
import { type Browser, type Page } from 'playwright-core';
import { Server } from 'socket.io';
import { TickerItemPublisher } from '../apps/projector/src/ticker-item.publisher';
import { TickerAccess } from '../apps/ticker/src/ticker.access';
import { TickerGateway } from '../apps/ticker/src/ticker.gateway';
import { TickerHub } from '../apps/ticker/src/ticker.hub';
import { boxStatus, buildWidget, launchChromium, serveWidget, shownItems, startPartnerSite } from './browser';

/**
 * The widget in real Chromium across a rebuild of the activity projection: the real publisher
 * (generation marker), a real ticker node on PostgreSQL (on Kafka, and on the embedded in-process
 * transport), and the built widget bundle. The switch is made by the rebuild engine (projection_live):
 * generation 2 folds the same postings with a one-hour burst window, so its box differs visibly.
 */
const transports: [string, () => MessageTransport][] = [
  ['Kafka', () => testKafkaTransport('widget-rebuild-test')],
  ['the in-process transport (embedded mode)', () => new InProcessTransport()],
];

describe.each(transports)('the widget across a rebuild (real Chromium, PostgreSQL, %s)', (_, create) => {
  let db: TestDatabase, store: EventStore;
  let feed: ActivityFeed;
  let hub: TickerHub;
  let publisher: TickerItemPublisher;
  let io: Server;
  let browser: Browser;
  let page: Page;
  let widget: Awaited<ReturnType<typeof buildWidget>>;
  let site: Awaited<ReturnType<typeof startPartnerSite>>;
  const transport = create();
  /** Ticker events the page's socket sent and received, in order: [event, payload]. */
  const sent: [string, Record<string, unknown>][] = [];
  const received: [string, Record<string, unknown>][] = [];
  /** The subscribe answers (socket.io acks) the page received, in order. */
  const acks: Record<string, unknown>[] = [];

  beforeAll(async () => {
    ({ db, store } = await openTestStore());
    feed = new ActivityFeed(db.dataSource);
    await transport.ensureTopics(
      [Topics.tickerChanges, PublicTopics.activity].map((topic) => ({
        topic,
        partitions: 1,
        replicationFactor: 1,
      })),
    );
    const config = loadConfig({ TICKER_NODE_ID: uniqueName('node-') });
    hub = new TickerHub(feed, transport, config);
    const gateway = new TickerGateway(hub, new TickerAccess(config), config);
    await hub.onModuleInit();
    publisher = new TickerItemPublisher(feed, transport, store);
    publisher.onApplicationBootstrap();

    widget = await buildWidget();
    const served = await serveWidget(widget.dir);
    io = served.io;
    const namespace = io.of(TickerProtocol.namespace);
    gateway.afterInit(namespace);
    namespace.on('connection', (socket) => gateway.handleConnection(socket));
    site = await startPartnerSite(served.url);
    browser = await launchChromium();
    page = await (await browser.newContext()).newPage();
    page.on('websocket', (ws) => {
      const record = (into: typeof sent) => (frame: { payload: string | Buffer }) => {
        const text = frame.payload.toString();
        const ack = /^43\/ticker,\d+(\[.*\])$/s.exec(text);
        if (ack) acks.push((JSON.parse(ack[1]!) as [Record<string, unknown>])[0]);
        const match = /^42\/ticker,\d*(\[.*\])$/s.exec(text);
        if (!match) return;
        const [event, payload] = JSON.parse(match[1]!) as [string, Record<string, unknown>];
        if (event.startsWith('ticker.')) into.push([event, payload]);
      };
      ws.on('framesent', record(sent));
      ws.on('framereceived', record(received));
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await new Promise<void>((done) => (io ? void io.close(() => done()) : done()));
    await publisher?.onModuleDestroy();
    await hub?.onModuleDestroy();
    await transport.close();
    await widget?.remove();
    await db?.close();
  });

  const postJobs = async (portal: string, n: number) => {
    const events: FeedEvent[] = [];
    for (let i = 0; i < n; i += 1) events.push(toFeedEvent(await appendJobPosted(store, { portal })));
    return events;
  };
  const lines = async () => (await shownItems(page)).map((i) => `${i.text}|${i.detail}`);
  const subscribes = () => sent.filter(([event]) => event === TickerProtocol.subscribe).map(([, p]) => p);
  const resyncs = () => received.filter(([event]) => event === TickerProtocol.resync).map(([, p]) => p);

  it('resyncs once, shows the new generation’s box, follows it live and resumes in it after a reconnect', async () => {
    const portal = uniqueName('p');
    const projectionOne = new ActivityProjection(db.dataSource, store, { burstWindowMs: 0 });
    const history = await postJobs(portal, 3);
    await projectionOne.handle(history);
    publisher.wakeUp();
    await waitFor('generation 1 published', async () => (await feed.state()).published === 3);

    await page.goto(site.url({ portal, max: 8 }));
    await waitFor('the box to go live', async () => (await boxStatus(page)) === 'live');
    await waitFor('three lines', async () => (await shownItems(page)).length === 3);
    expect(await lines()).toEqual(Array(3).fill('Neue Stellenanzeige eingestellt|'));

    // The rebuild: generation 2 is built beside the live one and switched; the publisher announces it.
    // The projector goes on with the new burst window, in generation 2.
    const switched = await rebuildActivity(db.dataSource, store, { burstWindowMs: 3_600_000 });
    expect(switched.generation).toBe(2);
    const projectionTwo = new ActivityProjection(db.dataSource, store, { burstWindowMs: 3_600_000 });
    publisher.wakeUp();
    await waitFor(
      'the new box',
      async () => (await lines()).join() === 'Neue Jobangebote verfügbar|3 neue Stellenanzeigen',
      {
        timeoutMs: 60_000,
      },
    );
    expect(resyncs()).toEqual([{ reason: 'rebuilt', head: switched.published, generation: 2 }]);
    expect(subscribes()).toHaveLength(2);
    expect(subscribes()[1]).not.toHaveProperty('since');
    expect(await boxStatus(page)).toBe('live');

    // Generation 2 goes on live: a further posting grows the burst in place.
    await projectionTwo.handle(await postJobs(portal, 1));
    publisher.wakeUp();
    await waitFor(
      'the grown burst',
      async () => (await lines()).join() === 'Neue Jobangebote verfügbar|4 neue Stellenanzeigen',
      {
        timeoutMs: 60_000,
      },
    );

    // The connection drops: the widget resumes with its position AND generation, and gets changes.
    io.of(TickerProtocol.namespace).sockets.forEach((socket) => socket.conn.close());
    await waitFor('the resumed subscription', () => subscribes().length >= 3, { timeoutMs: 30_000 });
    expect(subscribes()[2]).toMatchObject({ since: switched.head + 1, generation: 2 });
    await waitFor('the box to be live again', async () => (await boxStatus(page)) === 'live');
    await waitFor('the resume’s answer', () => acks.length >= 3);
    expect(acks.map((a) => [a['mode'], a['generation']])).toEqual([
      ['snapshot', 1],
      ['snapshot', 2],
      ['changes', 2],
    ]);
    expect(await lines()).toEqual(['Neue Jobangebote verfügbar|4 neue Stellenanzeigen']);
    expect(resyncs()).toHaveLength(1);
  }, 180_000);
});
