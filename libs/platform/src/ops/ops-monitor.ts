import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  Optional,
} from '@nestjs/common';
import { type Logger } from 'pino';
import { FEEDWERK_CONFIG, type FeedwerkConfig } from '../config';
import { ConsumerHealth } from './consumer-health';
import { FeedwerkMetrics } from './metrics';
import { STORE_PROBE, type StoreProbe } from './store-probe';
import { TRANSPORT_PROBE, type TransportProbe } from './transport-probe';

/** The relay's checkpoint name in the store (apps/relay saves it). */
const RELAY_CHECKPOINT = 'relay';

/** A readiness probe of the transport gives up after this long (kafkajs retries a dead broker much longer). */
const PROBE_TIMEOUT_MS = 3_000;
/** Samples kept for the admin page's charts. */
const HISTORY = 90;

export const OPS_LOGGER = Symbol('OpsLogger');

export interface ConsumerSample {
  readonly group: string;
  readonly lag: number | null;
  readonly keepingUp: boolean;
}

/** One refresh: what the admin page charts. */
export interface OpsSample {
  /** ms since the epoch */
  readonly at: number;
  readonly storeHead: number | null;
  readonly relayLag: number | null;
  /** Store positions per second since the previous sample (about events appended per second). */
  readonly eventsPerSecond: number | null;
  readonly transportUp: boolean | null;
  readonly consumers: readonly ConsumerSample[];
}

/**
 * Refreshes what is costly to measure every METRICS_REFRESH_MS, off the request path: the store's
 * head and the relay's checkpoint (one indexed query), the transport's health and the lag of this
 * process's consumer groups (Kafka admin requests), from which the projection lag and each
 * group's keeping-up verdict follow. /metrics and readiness read the results.
 */
@Injectable()
export class OpsMonitor implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | null = null;
  private refreshing: Promise<void> | null = null;
  private probing: Promise<boolean> | null = null;
  private readonly samples: OpsSample[] = [];
  /** The admin app charts every group of the deployment, not only its own. */
  private deployment = false;

  constructor(
    private readonly metrics: FeedwerkMetrics,
    private readonly health: ConsumerHealth,
    @Inject(FEEDWERK_CONFIG) private readonly config: FeedwerkConfig,
    @Inject(OPS_LOGGER) private readonly log: Logger,
    @Optional() @Inject(TRANSPORT_PROBE) private readonly transport: TransportProbe | null,
    @Optional() @Inject(STORE_PROBE) private readonly store: StoreProbe | null,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.refresh(), this.config.METRICS_REFRESH_MS);
    this.timer.unref();
    void this.refresh();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.refreshing;
  }

  /** Samples lags of every live consumer group of the deployment too (the admin page). */
  watchDeployment(): void {
    this.deployment = true;
  }

  history(): readonly OpsSample[] {
    return this.samples;
  }

  /** Whether the transport answers; concurrent callers share one probe, which gives up after 3 s. */
  probeTransport(): Promise<boolean> {
    const transport = this.transport;
    if (!transport) return Promise.resolve(true);
    this.probing ??= new Promise<boolean>((resolve) => {
      const timeout = setTimeout(() => resolve(false), PROBE_TIMEOUT_MS);
      transport.isHealthy().then(
        (ok) => {
          clearTimeout(timeout);
          resolve(ok);
        },
        () => {
          clearTimeout(timeout);
          resolve(false);
        },
      );
    }).finally(() => {
      this.probing = null;
    });
    return this.probing;
  }

  refresh(): Promise<void> {
    this.refreshing ??= this.sample()
      .catch((error: unknown) => this.log.warn({ err: error }, 'ops metrics refresh failed'))
      .finally(() => {
        this.refreshing = null;
      });
    return this.refreshing;
  }

  private async sample(): Promise<void> {
    const at = Date.now();
    const store = await this.readStore();
    const transportUp = this.transport ? await this.probeTransport() : null;
    if (transportUp !== null) this.metrics.transportUp.set(transportUp ? 1 : 0);
    const lags = await this.readLags(transportUp === true);
    const own = new Set(this.health.verdicts().map((v) => v.group));
    for (const group of own) this.health.lagged(group, lags?.get(group) ?? null);

    const consumers: ConsumerSample[] = [];
    for (const verdict of this.health.verdicts()) {
      this.metrics.consumerKeepingUp.set({ group: verdict.group }, verdict.keepingUp ? 1 : 0);
      if (verdict.lag !== null) this.metrics.consumerLag.set({ group: verdict.group }, verdict.lag);
      consumers.push({ group: verdict.group, lag: verdict.lag, keepingUp: verdict.keepingUp });
      if (verdict.topics.some((t) => t.startsWith('feedwerk.events.')) && store?.relay != null) {
        // Caught up with the topics means caught up with what the relay published; otherwise the
        // distance from what it last applied (its message lag until it applied anything here).
        const lag =
          verdict.lag === 0
            ? 0
            : verdict.appliedPosition !== null
              ? Math.max(0, store.relay - verdict.appliedPosition)
              : verdict.lag;
        if (lag !== null) this.metrics.projectionLag.set({ projection: verdict.group }, lag);
      }
    }
    if (this.deployment && lags) {
      for (const [group, lag] of lags) {
        if (own.has(group)) continue;
        this.metrics.consumerLag.set({ group }, lag);
        consumers.push({ group, lag, keepingUp: true });
      }
    }

    const previous = this.samples.at(-1);
    const eventsPerSecond =
      store && previous?.storeHead != null && at > previous.at
        ? Math.max(0, ((store.head - previous.storeHead) * 1000) / (at - previous.at))
        : null;
    this.samples.push({
      at,
      storeHead: store?.head ?? null,
      relayLag: store ? store.head - (store.relay ?? 0) : null,
      eventsPerSecond,
      transportUp,
      consumers: consumers.sort((a, b) => a.group.localeCompare(b.group)),
    });
    if (this.samples.length > HISTORY) this.samples.shift();
  }

  private async readStore(): Promise<{ head: number; relay: number | null } | null> {
    if (!this.store) return null;
    try {
      const { head, checkpoint: relay } = await this.store.progress(RELAY_CHECKPOINT);
      this.metrics.storeHead.set(head);
      this.metrics.relayLag.set(Math.max(0, head - (relay ?? 0)));
      return { head, relay };
    } catch (error) {
      this.log.warn({ err: error }, 'could not read the store head for the metrics');
      return null;
    }
  }

  private async readLags(transportUp: boolean): Promise<ReadonlyMap<string, number> | null> {
    if (!this.transport || !transportUp) return null;
    const verdicts = this.health.verdicts();
    if (verdicts.length === 0 && !this.deployment) return new Map();
    try {
      const own = verdicts.map((v) => v.group);
      const lags = new Map(
        await this.transport.consumerLags([...new Set(verdicts.flatMap((v) => v.topics))], own),
      );
      if (this.deployment) {
        // Other processes' groups: whichever of Feedwerk's topics they read.
        for (const [group, lag] of await this.transport.consumerLags(this.transport.topics)) {
          lags.set(group, lag);
        }
      }
      return lags;
    } catch (error) {
      this.log.warn({ err: error }, 'could not read the consumer lags');
      return null;
    }
  }
}
