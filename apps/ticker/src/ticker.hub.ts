import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import {
  changeFor,
  type FeedOpeningOf,
  changeOpFor,
  renderChange,
  renderTickerItem,
  sinceGeneration,
  type TickerChangeRecord,
  type TickerChangeV1,
  type TickerFilter,
  type TickerItemV1,
  type TickerLang,
  KafkaHeaders,
  type TickerResync,
  Topics,
} from '@feedwerk/contracts';
import { FEEDWERK_CONFIG, type FeedwerkConfig, FeedwerkMetrics, ROOT_LOGGER } from '@feedwerk/platform';
import { ActivityFeed } from '@feedwerk/read-models';
import {
  decodeTickerRecord,
  type IncomingMessage,
  MESSAGE_TRANSPORT,
  type MessageTransport,
  type Subscription,
  TICKER_PUBLISHED_AT_HEADER,
} from '@feedwerk/transport';
import pino, { type Logger as PinoLogger } from 'pino';

const SAFETY_NET_MS = 2_000;
/** Subscriptions opened in one turn of the chain at most, so live changes never wait behind a whole storm. */
const OPEN_BATCH = 500;

/** One subscribed client (a socket or an SSE response), as the hub delivers to it. */
export interface TickerSink {
  /**
   * Queues a change; false when the client's buffer is full (it is then told to resync). `alone`:
   * the only change this turn brings (a sink may write it at once instead of waiting for more).
   */
  send(change: TickerChangeV1, alone: boolean): boolean;
  resync(message: TickerResync): void;
  /** False once the client went away (a subscription that completes after that is not kept). */
  isOpen(): boolean;
}

export interface TickerSubscription {
  readonly filter: TickerFilter;
  readonly lang: TickerLang;
  readonly limit: number;
  readonly since: number | undefined;
  /** The generation `since` belongs to (undefined: generation 1, a client from before generations). */
  readonly generation?: number | undefined;
}

/** What a subscriber gets first, rendered for its language. */
export type TickerOpening = FeedOpeningOf<TickerItemV1, TickerChangeV1>;

interface QueuedOpen {
  readonly sink: TickerSink;
  readonly request: TickerSubscription;
  readonly opened: (opening: TickerOpening) => void;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

interface Subscriber extends TickerSubscription {
  readonly sink: TickerSink;
  /** The highest feed position this subscriber has been served; later changes only are delivered. */
  cursor: number;
}

/**
 * One ticker node's delivery. Guarantees to each subscriber:
 * - Position order, no gap, no duplicate: the node handles changes strictly by feed position (a
 *   position already handled is dropped, a missing one is read from the read model first), and each
 *   subscriber gets only changes after the head it was served.
 * - The opening (snapshot or changes since a position) and the live changes meet exactly: it is read
 *   in one database snapshot together with its head, and opening and delivering run one at a time.
 * - Bounded memory per client: a client whose buffer is full gets `resync` and nothing more until it
 *   subscribes again.
 * - Generations: positions count within one generation of the activity projection. The node serves
 *   one generation at a time; when it learns of a newer one (a marker on the topic, a change tagged
 *   with it, or the read model) it adopts it, tells every client once `resync {reason:'rebuilt'}`
 *   and forgets their cursors. Changes of an older generation arriving late are dropped. A `since`
 *   of another generation is answered with a snapshot, never with changes.
 * Each node consumes the ticker-changes topic in its own consumer group (`ticker.<node id>`), so
 * every node sees every change; nothing a restart would lose is kept only here.
 */
@Injectable()
export class TickerHub implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger(TickerHub.name);
  private subscription: Subscription | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** The generation of the activity projection this node serves (its positions are this one's). */
  private generation = 0;
  /** Last feed position this node handled, in `generation`. */
  private head = 0;
  /** The highest published position read from the read model in this generation (it only grows). */
  private published = 0;
  private readonly subscribers = new Map<TickerSink, Subscriber>();
  /** Subscribers by portal: a portal's change goes to its subscribers only, a site-wide one to all. */
  private readonly byPortal = new Map<string, Set<Subscriber>>();
  private chain: Promise<unknown> = Promise.resolve();
  /** Subscriptions waiting for their turn in the chain (opened together, see openQueued). */
  private opening: QueuedOpen[] = [];
  private openingScheduled = false;
  delivered = 0;
  resyncs = 0;
  /** Per-change trace lines (debug): the correlation id of the request behind each delivered change. */
  private readonly trace: PinoLogger;

  constructor(
    private readonly feed: ActivityFeed,
    @Inject(MESSAGE_TRANSPORT) private readonly transport: MessageTransport,
    @Inject(FEEDWERK_CONFIG) private readonly config: FeedwerkConfig,
    // Defaults for hubs built by hand (tests); the app injects its own.
    private readonly metrics: FeedwerkMetrics = new FeedwerkMetrics('ticker'),
    @Inject(ROOT_LOGGER) root: PinoLogger = pino({ level: 'silent' }),
  ) {
    this.trace = root.child({ component: 'ticker-hub', node: config.TICKER_NODE_ID });
  }

  async onModuleInit(): Promise<void> {
    // A node that starts after a switch reads the live generation, never an older one.
    const state = await this.feed.state();
    this.generation = state.generation;
    this.head = state.published;
    this.published = state.published;
    this.subscription = await this.transport.subscribe({
      groupId: `ticker.${this.config.TICKER_NODE_ID}`,
      topics: [Topics.tickerChanges],
      fromBeginning: false,
      handle: (batch) => this.serial(() => this.receive(batch)),
    });
    // Changes published before this node's consumer joined arrive through no topic: catch up from the read model.
    this.timer = setInterval(
      () => void this.serial(() => this.catchUp()).catch(() => undefined),
      SAFETY_NET_MS,
    );
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.subscription?.stop();
    await this.chain.catch(() => undefined);
  }

  /** The highest published position of its generation this node has read from the read model. */
  get publishedSeen(): number {
    return this.published;
  }

  /** The generation this node serves. */
  get currentGeneration(): number {
    return this.generation;
  }

  /** Connected subscribers on this node. */
  get size(): number {
    return this.subscribers.size;
  }

  /**
   * Subscribes `sink` (replacing its earlier subscription) and hands `opened` the snapshot or the
   * exact changes since `since`. `opened` runs before any live change reaches the sink.
   */
  open(
    sink: TickerSink,
    request: TickerSubscription,
    opened: (opening: TickerOpening) => void,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.opening.push({ sink, request, opened, resolve, reject });
      this.scheduleOpening();
    });
  }

  private scheduleOpening(): void {
    if (this.openingScheduled || this.opening.length === 0) return;
    this.openingScheduled = true;
    void this.serial(async () => {
      this.openingScheduled = false;
      await this.openQueued(this.opening.splice(0, OPEN_BATCH));
      // More waiting: after the live changes that queued up meanwhile.
      this.scheduleOpening();
    });
  }

  /**
   * Opens subscriptions queued until now (up to OPEN_BATCH), in one turn of the serial chain. Subscriptions
   * arrive in storms (a node restarts, a deployment rolls: thousands of clients reconnect at once),
   * mostly asking for the same few boxes; one read from the read model serves every request of a
   * storm that asks for the same thing, instead of one read each with the live changes waiting
   * behind all of them. Nothing is delivered between the reads and the registrations, so every
   * subscriber's opening still meets its live changes exactly.
   */
  private async openQueued(queued: readonly QueuedOpen[]): Promise<void> {
    const reads = new Map<string, ReturnType<TickerHub['read']>>();
    const readOnce = (request: TickerSubscription, since: number | undefined) => {
      const key = JSON.stringify([this.generation, request.filter, request.limit, since, request.generation]);
      let read = reads.get(key);
      if (read === undefined) {
        read = this.read(request, since);
        // A failed read fails the requests that share it, not later ones.
        read.catch(() => reads.delete(key));
        reads.set(key, read);
      }
      return read;
    };
    for (const { sink, request, opened, resolve, reject } of queued) {
      try {
        await this.openOne(sink, request, opened, readOnce);
        resolve();
      } catch (error) {
        reject(error);
      }
    }
  }

  private async openOne(
    sink: TickerSink,
    request: TickerSubscription,
    opened: (opening: TickerOpening) => void,
    read: (request: TickerSubscription, since: number | undefined) => ReturnType<TickerHub['read']>,
  ): Promise<void> {
    this.remove(sink);
    let opening = await read(request, request.since);
    if (opening.generation > this.generation) {
      // The read model switched before this node heard of it: adopt it now, so that this
      // subscriber's cursor and the node's deliveries count in the same generation.
      const state = await this.feed.state();
      this.adopt(state.generation, state.published, state.published);
      if (opening.generation !== this.generation) opening = await read(request, undefined);
    }
    if (opening.generation !== this.generation) {
      throw new Error(`feed generation ${opening.generation} is not the node's ${this.generation}`);
    }
    // The client may have left while its opening was read: then there is nobody to keep.
    if (!sink.isOpen()) return;
    const subscriber: Subscriber = { ...request, sink, cursor: opening.head };
    this.subscribers.set(sink, subscriber);
    this.metrics.subscribers.set(this.subscribers.size);
    const peers = this.byPortal.get(request.filter.portal) ?? new Set<Subscriber>();
    peers.add(subscriber);
    this.byPortal.set(request.filter.portal, peers);
    if (opening.mode === 'snapshot') {
      opened({
        mode: 'snapshot',
        items: opening.items.map((item) => renderTickerItem(item, request.lang)),
        head: opening.head,
        generation: opening.generation,
      });
    } else {
      const changes: TickerChangeV1[] = [];
      for (const change of opening.changes) {
        const visible = changeFor(request.filter, change, request.lang);
        if (visible) changes.push(visible);
      }
      opened({ mode: 'changes', changes, head: opening.head, generation: opening.generation });
    }
  }

  /**
   * The opening for `request` from the read model. A `since` is only meaningful in its own
   * generation: when the answer's generation is another one, it is read again as a snapshot.
   */
  private async read(request: TickerSubscription, since: number | undefined) {
    const max = this.config.TICKER_MAX_CATCH_UP;
    const opening = await this.feed.open(request.filter, request.limit, since, max);
    if (opening.mode === 'changes' && opening.generation !== sinceGeneration(request.generation)) {
      return this.feed.open(request.filter, request.limit, undefined, max);
    }
    return opening;
  }

  /**
   * Serves `generation` from `head` on, if it is newer than the one served: every subscriber is
   * told once to resync (its positions belong to the old generation) and is forgotten. `published`
   * is the generation's published position as read from the read model (0 when not known).
   */
  private adopt(generation: number, head: number, published: number): void {
    if (generation <= this.generation) return;
    this.log.log(`feed generation ${generation} is live (head ${head}): every client resyncs`);
    this.generation = generation;
    this.head = head;
    this.published = published;
    this.resyncAll(head);
  }

  private resyncAll(head: number): void {
    for (const subscriber of [...this.subscribers.values()]) {
      this.remove(subscriber.sink);
      this.resyncs += 1;
      subscriber.sink.resync({ reason: 'rebuilt', head, generation: this.generation });
    }
  }

  /** The current box for a page (the server-rendered snapshot); no subscription. */
  async snapshot(filter: TickerFilter, lang: TickerLang, limit: number): Promise<TickerItemV1[]> {
    const opening = await this.feed.open(filter, limit, undefined);
    return opening.mode === 'snapshot' ? opening.items.map((item) => renderTickerItem(item, lang)) : [];
  }

  remove(sink: TickerSink): void {
    const subscriber = this.subscribers.get(sink);
    if (!subscriber) return;
    this.subscribers.delete(sink);
    this.metrics.subscribers.set(this.subscribers.size);
    const peers = this.byPortal.get(subscriber.filter.portal);
    peers?.delete(subscriber);
    if (peers?.size === 0) this.byPortal.delete(subscriber.filter.portal);
  }

  private async receive(batch: readonly IncomingMessage[]): Promise<void> {
    for (const message of batch) {
      let record: ReturnType<typeof decodeTickerRecord>;
      try {
        record = decodeTickerRecord(message);
      } catch (error) {
        this.log.warn(`ignoring an invalid ticker record at offset ${message.offset}: ${String(error)}`);
        continue;
      }
      if (record.kind === 'marker') {
        // The marker's head is the published position the publisher read when it switched.
        this.adopt(record.marker.generation, record.marker.head, record.marker.head);
        continue;
      }
      const { change, generation } = record;
      // A late change of a generation that is no longer live: its position means nothing now.
      if (generation < this.generation) continue;
      // A change of a newer generation whose marker this node did not see (it joined later).
      // Its published position is not known here (the change may not be marked yet).
      if (generation > this.generation) this.adopt(generation, change.position - 1, 0);
      if (change.position <= this.head) continue;
      let alone = batch.length === 1;
      if (change.position > this.head + 1) {
        await this.fill(change.position - 1);
        alone = false;
      }
      const sent = this.deliver(change, alone);
      const publishedAt = Number(message.headers[TICKER_PUBLISHED_AT_HEADER]);
      if (Number.isFinite(publishedAt) && publishedAt > 0) {
        this.metrics.deliveryLatency.observe(Math.max(0, Date.now() - publishedAt) / 1000);
      }
      if (this.trace.isLevelEnabled('debug')) {
        this.trace.debug(
          {
            correlationId: message.headers[KafkaHeaders.correlationId],
            generation,
            position: change.position,
            itemId: change.item.id,
            op: change.op,
            clients: sent,
          },
          'ticker change delivered',
        );
      }
    }
  }

  private async catchUp(): Promise<void> {
    const { generation, published } = await this.feed.state();
    if (generation > this.generation) {
      this.adopt(generation, published, published);
      return;
    }
    if (generation < this.generation) return;
    // The node's head may be ahead of `published` for a moment (a change is published before it is
    // marked), so only a published position that went back counts: the generation's database was
    // replaced or rewound, and positions clients hold mean nothing any more. Start over from here.
    const previous = this.published;
    this.published = published;
    if (published < previous) {
      this.log.warn(`feed went back from ${this.head} to ${published}: every client resyncs`);
      this.head = published;
      this.resyncAll(published);
      return;
    }
    if (published > this.head) await this.fill(published);
  }

  /** Delivers every change after the head up to `upTo` from the read model, in order. */
  private async fill(upTo: number): Promise<void> {
    while (this.head < upTo) {
      const missing = await this.feed.between(this.head, upTo, 500, this.generation);
      if (missing.length === 0) {
        throw new Error(`feed positions ${this.head + 1}..${upTo} are not in the read model yet`);
      }
      for (const change of missing) this.deliver(change, false);
    }
  }

  /** Sends the change to every matching subscriber; returns to how many. */
  private deliver(change: TickerChangeRecord, alone: boolean): number {
    this.head = change.position;
    this.delivered += 1;
    const portal = change.item.portal;
    const targets = portal === null ? this.subscribers.values() : (this.byPortal.get(portal) ?? []);
    // Rendered at most once per language and outcome, then shared by every matching subscriber
    // (looked up without building a key per subscriber: this loop runs once per delivery).
    const rendered: { [lang in TickerLang]?: { [op in TickerChangeRecord['op']]?: TickerChangeV1 } } = {};
    const overflowed: Subscriber[] = [];
    let sent = 0;
    for (const subscriber of targets) {
      if (change.position <= subscriber.cursor) continue;
      subscriber.cursor = change.position;
      const op = changeOpFor(subscriber.filter, change);
      if (op === null) continue;
      const byOp = (rendered[subscriber.lang] ??= {});
      let message = byOp[op];
      if (message === undefined) {
        message = renderChange(change, op, subscriber.lang);
        byOp[op] = message;
      }
      if (subscriber.sink.send(message, alone)) sent += 1;
      else overflowed.push(subscriber);
    }
    for (const subscriber of overflowed) {
      this.remove(subscriber.sink);
      this.resyncs += 1;
      subscriber.sink.resync({ reason: 'slow-client', head: this.head, generation: this.generation });
    }
    this.metrics.deliveries.inc(sent);
    return sent;
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.chain.then(work);
    this.chain = run.catch(() => undefined);
    return run;
  }
}
