import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import {
  changeFor,
  renderTickerItem,
  TICKER_LANGS,
  TickerChangeRecord,
  TickerProtocol,
  type TickerItemRecord,
  TickerSubscribeRequest,
  type TickerLang,
  type TickerSubscribeAck,
  Topics,
} from '@feedwerk/contracts';
import { FEEDWERK_CONFIG, type FeedwerkConfig } from '@feedwerk/platform';
import { ActivityFeed } from '@feedwerk/read-models';
import {
  type IncomingMessage,
  MESSAGE_TRANSPORT,
  type MessageTransport,
  type Subscription,
} from '@feedwerk/transport';
import { type Namespace, type Socket } from 'socket.io';

const room = (portal: string, lang: TickerLang) => `portal:${portal}:${lang}`;
const SAFETY_NET_MS = 2_000;
const MAX_CACHED_PORTALS = 1_000;

/**
 * One ticker node's delivery state. Guarantees to its socket clients:
 * - Feed order, no gap, no duplicate: items are delivered strictly by feed position; a position
 *   already delivered is dropped, a missing one is read from the read model before the next.
 * - A subscriber's history (the ack) ends exactly where its live items begin: subscribing and
 *   delivering run one at a time, and the ack is sent before any later live item.
 * Each node consumes the ticker-items topic in its own consumer group (`ticker.<node id>`), so every
 * node sees every item; nothing a restart would lose is kept only here (history is the read model).
 */
@Injectable()
export class TickerHub implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger(TickerHub.name);
  private namespace: Namespace | null = null;
  private subscription: Subscription | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** Last feed position delivered by this node. */
  private head = 0;
  /** Newest items per subscribed portal (site-wide items included), oldest first. */
  private readonly cache = new Map<string, TickerItemRecord[]>();
  private chain: Promise<unknown> = Promise.resolve();
  delivered = 0;

  constructor(
    private readonly feed: ActivityFeed,
    @Inject(MESSAGE_TRANSPORT) private readonly transport: MessageTransport,
    @Inject(FEEDWERK_CONFIG) private readonly config: FeedwerkConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    this.head = (await this.feed.state()).published;
    this.subscription = await this.transport.subscribe({
      groupId: `ticker.${this.config.TICKER_NODE_ID}`,
      topics: [Topics.tickerChanges],
      fromBeginning: false,
      handle: (batch) => this.serial(() => this.receive(batch)),
    });
    // Items published before this node's consumer joined arrive through no topic: catch up from the read model.
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

  attach(namespace: Namespace): void {
    this.namespace = namespace;
  }

  /** Handles `ticker.subscribe`: joins the portal's room and acks with the latest items up to this node's head. */
  subscribe(socket: Socket, raw: unknown, ack: (answer: TickerSubscribeAck) => void): Promise<void> {
    const parsed = TickerSubscribeRequest.safeParse(raw ?? {});
    if (!parsed.success) {
      ack({
        ok: false,
        error: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
      });
      return Promise.resolve();
    }
    const { portal, lang } = parsed.data;
    return this.serial(async () => {
      const history = await this.history(portal);
      for (const joined of socket.rooms) if (joined.startsWith('portal:')) await socket.leave(joined);
      await socket.join(room(portal, lang));
      ack({
        ok: true,
        mode: 'snapshot',
        items: history.map((r) => renderTickerItem(r, lang)).reverse(),
        head: this.head,
      });
    }).catch((error: unknown) => {
      this.log.warn(`subscribe failed: ${String(error)}`);
      ack({ ok: false, error: 'temporarily unavailable, retry' });
    });
  }

  private async history(portal: string): Promise<TickerItemRecord[]> {
    const cached = this.cache.get(portal);
    if (cached) return cached;
    const loaded = await this.feed.latest(portal, this.config.TICKER_HISTORY, this.head);
    if (this.cache.size >= MAX_CACHED_PORTALS) {
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
    this.cache.set(portal, loaded);
    return loaded;
  }

  private async receive(batch: readonly IncomingMessage[]): Promise<void> {
    for (const message of batch) {
      let record: TickerItemRecord;
      try {
        record = TickerChangeRecord.parse(JSON.parse(message.value?.toString('utf8') ?? 'null')).item;
      } catch (error) {
        this.log.warn(`ignoring an invalid ticker item at offset ${message.offset}: ${String(error)}`);
        continue;
      }
      if (record.position <= this.head) continue;
      if (record.position > this.head + 1) await this.fill(record.position - 1);
      this.deliver(record);
    }
  }

  private async catchUp(): Promise<void> {
    const { published } = await this.feed.state();
    if (published > this.head) await this.fill(published);
  }

  /** Delivers every item after the head up to `upTo` from the read model, in order. */
  private async fill(upTo: number): Promise<void> {
    while (this.head < upTo) {
      const missing = await this.feed.between(this.head, upTo, 500);
      if (missing.length === 0) {
        throw new Error(`feed positions ${this.head + 1}..${upTo} are not in the read model yet`);
      }
      for (const record of missing) this.deliver(record);
    }
  }

  private deliver(record: TickerItemRecord): void {
    this.head = record.position;
    this.delivered += 1;
    for (const [portal, items] of this.cache) {
      if (record.portal !== null && record.portal !== portal) continue;
      items.push(record);
      if (items.length > this.config.TICKER_HISTORY) items.shift();
    }
    const namespace = this.namespace;
    if (!namespace) return;
    for (const lang of TICKER_LANGS) {
      const rooms =
        record.portal !== null
          ? [room(record.portal, lang)]
          : [...namespace.adapter.rooms.keys()].filter(
              (r) => r.startsWith('portal:') && r.endsWith(`:${lang}`),
            );
      if (rooms.length === 0) continue;
      // Rendered once per language, then sent to every socket of those rooms.
      const change = changeFor(
        { portal: record.portal ?? '' },
        { op: 'upsert', position: record.position, item: record, previousKind: null },
        lang,
      );
      namespace.to(rooms).emit(TickerProtocol.change, change);
    }
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.chain.then(work);
    this.chain = run.catch(() => undefined);
    return run;
  }
}
