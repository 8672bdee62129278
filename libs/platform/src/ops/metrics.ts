import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Seconds buckets from 1 ms to 30 s: appends are milliseconds, a delivery behind a stalled consumer seconds. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * Every Prometheus metric Feedwerk exposes, in one registry per app instance (not prom-client's
 * global one: tests and the standalone app run several apps in one process, and each app's
 * /metrics must show its own). Each app fills the metrics it has; the others stay empty.
 */
export class FeedwerkMetrics {
  readonly registry = new Registry();

  readonly commands = new Counter({
    name: 'feedwerk_commands_total',
    help: 'HTTP commands by type and outcome (accepted, rejected: 4xx, conflict: 409/412, failed: 5xx)',
    labelNames: ['command', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly appendDuration = new Histogram({
    name: 'feedwerk_event_store_append_duration_seconds',
    help: 'Time of one event store append transaction, by outcome (appended, replayed, conflict, failed)',
    labelNames: ['outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly storeHead = new Gauge({
    name: 'feedwerk_store_head_position',
    help: 'Highest global position in the event store (rate() of it is about events appended per second)',
    registers: [this.registry],
  });

  readonly relayLag = new Gauge({
    name: 'feedwerk_relay_lag_positions',
    help: "Store head minus the relay's checkpoint: the outbox not yet published to the transport",
    registers: [this.registry],
  });

  readonly consumerLag = new Gauge({
    name: 'feedwerk_consumer_lag_messages',
    help: 'Messages on the topics not yet handled by the consumer group (end offsets minus committed offsets)',
    labelNames: ['group'] as const,
    registers: [this.registry],
  });

  readonly projectionLag = new Gauge({
    name: 'feedwerk_projection_lag_positions',
    help:
      "Store positions a projection (consumer group on the event topics) is behind the relay's checkpoint; " +
      "this instance's view: with several instances take min by (projection)",
    labelNames: ['projection'] as const,
    registers: [this.registry],
  });

  readonly consumerKeepingUp = new Gauge({
    name: 'feedwerk_consumer_keeping_up',
    help: '1 while the consumer group keeps up (no stall longer than HEALTH_CONSUMER_STALL_MS), else 0',
    labelNames: ['group'] as const,
    registers: [this.registry],
  });

  readonly batches = new Counter({
    name: 'feedwerk_consumer_batches_total',
    help: 'Batches handled by this process per consumer group and outcome (handled, failed)',
    labelNames: ['group', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly handled = new Counter({
    name: 'feedwerk_messages_handled_total',
    help: 'Messages handled by this process per consumer group',
    labelNames: ['group'] as const,
    registers: [this.registry],
  });

  readonly published = new Counter({
    name: 'feedwerk_messages_published_total',
    help: 'Messages this process published per topic (the relay: events/s on feedwerk.events.*)',
    labelNames: ['topic'] as const,
    registers: [this.registry],
  });

  readonly transportUp = new Gauge({
    name: 'feedwerk_transport_up',
    help: '1 while the message transport (Kafka) answers, else 0',
    registers: [this.registry],
  });

  readonly socketsConnected = new Gauge({
    name: 'feedwerk_ticker_sockets_connected',
    help: 'socket.io clients connected to this ticker node',
    registers: [this.registry],
  });

  readonly subscribers = new Gauge({
    name: 'feedwerk_ticker_subscribers',
    help: 'Subscribed ticker clients of this node (socket.io and SSE)',
    registers: [this.registry],
  });

  readonly deliveries = new Counter({
    name: 'feedwerk_ticker_deliveries_total',
    help: 'Ticker changes sent to clients by this node (one per client and change)',
    registers: [this.registry],
  });

  readonly deliveryLatency = new Histogram({
    name: 'feedwerk_ticker_delivery_latency_seconds',
    help: 'From the projector publishing a ticker change to this node sending it to its clients',
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  constructor(app: string) {
    this.registry.setDefaultLabels({ app });
    collectDefaultMetrics({ register: this.registry });
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }
}
