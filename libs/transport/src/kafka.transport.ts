import {
  type Admin,
  type Consumer,
  type IHeaders,
  Kafka,
  type KafkaConfig,
  logLevel,
  Partitioners,
  type LogEntry,
  type Producer,
} from 'kafkajs';
import {
  type IncomingMessage,
  type MessageTransport,
  type OutgoingMessage,
  type SubscribeOptions,
  type Subscription,
  TopicConfigurationError,
  type TopicSpec,
} from './transport.port';

export interface KafkaTransportOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** Prepended to every topic name, so that several deployments or test runs can share a cluster. */
  readonly topicPrefix?: string;
  readonly log?: (level: 'error' | 'warn' | 'info' | 'debug', message: string, extra: object) => void;
  readonly sasl?: KafkaConfig['sasl'];
  /** TLS to the brokers (SASL_SSL in production); the system's CAs. */
  readonly ssl?: boolean;
}

const headerValue = (value: IHeaders[string]): string | undefined => {
  if (value === undefined) return undefined;
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
};

const backoff = (attempt: number) =>
  Math.min(30_000, 200 * 2 ** Math.min(attempt, 8)) * (0.5 + Math.random() / 2);

/**
 * Kafka through kafkajs. The producer is idempotent with acks from all in-sync replicas and one
 * request in flight, so retries neither duplicate nor reorder within a partition. Consumers run
 * batch-wise: a batch is acknowledged (its offsets committed) only after the handler returned; a
 * throwing handler is retried with a jittered back-off without losing its place, and without the
 * consumer crashing.
 */
export class KafkaTransport implements MessageTransport {
  readonly kind = 'kafka' as const;
  private readonly kafka: Kafka;
  private readonly prefix: string;
  private producer: Producer | null = null;
  private producerReady: Promise<Producer> | null = null;
  private readonly consumers = new Set<Consumer>();
  private admin: Admin | null = null;

  constructor(private readonly options: KafkaTransportOptions) {
    this.prefix = options.topicPrefix ?? '';
    const log = options.log;
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: [...options.brokers],
      sasl: options.sasl,
      ssl: options.ssl ?? false,
      connectionTimeout: 3_000,
      requestTimeout: 10_000,
      retry: { initialRetryTime: 200, retries: 8, maxRetryTime: 10_000 },
      logLevel: logLevel.WARN,
      logCreator: () => (entry: LogEntry) => {
        if (!log) return;
        const { message, ...extra } = entry.log;
        const level =
          entry.level <= logLevel.ERROR ? 'error' : entry.level === logLevel.WARN ? 'warn' : 'info';
        log(level, `kafkajs ${entry.namespace}: ${message}`, extra);
      },
    });
  }

  topicName(topic: string): string {
    return `${this.prefix}${topic}`;
  }

  groupName(groupId: string): string {
    return `${this.prefix}${groupId}`;
  }

  async ensureTopics(topics: readonly TopicSpec[]): Promise<void> {
    const admin = await this.getAdmin();
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(this.topicName(t.topic)));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({
          topic: this.topicName(t.topic),
          numPartitions: t.partitions,
          replicationFactor: t.replicationFactor,
          configEntries: Object.entries(t.config ?? {}).map(([name, value]) => ({ name, value })),
        })),
      });
    }
    const present = topics.filter((t) => existing.has(this.topicName(t.topic)));
    if (present.length === 0) return;
    const metadata = await admin.fetchTopicMetadata({ topics: present.map((t) => this.topicName(t.topic)) });
    for (const spec of present) {
      const found = metadata.topics.find((m) => m.name === this.topicName(spec.topic));
      if (found && found.partitions.length !== spec.partitions) {
        // Changing the partition count remaps keys and breaks per-aggregate order: refuse loudly.
        throw new TopicConfigurationError(
          `topic ${found.name} has ${found.partitions.length} partitions, configuration says ${spec.partitions}; ` +
            'partition counts are never changed automatically (it would reorder aggregates)',
        );
      }
    }
  }

  async publish(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const producer = await this.getProducer();
    await producer.send({
      topic: this.topicName(topic),
      acks: -1,
      messages: messages.map((m) => ({ key: m.key, value: m.value, headers: { ...m.headers } })),
    });
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const consumer = this.kafka.consumer({
      // The prefix namespaces groups as it does topics: deployments (and test runs) sharing one cluster
      // must not join each other's groups, where partitions of one would be assigned to members of another.
      groupId: this.groupName(options.groupId),
      allowAutoTopicCreation: false,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      maxWaitTimeInMs: 250,
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 10_000 },
    });
    this.consumers.add(consumer);
    await consumer.connect();
    await consumer.subscribe({
      topics: options.topics.map((t) => this.topicName(t)),
      fromBeginning: options.fromBeginning,
    });
    let running = true;
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async (payload) => {
        const { batch } = payload;
        const heartbeat = () => payload.heartbeat();
        if (batch.messages.length === 0) return;
        const topic = batch.topic.startsWith(this.prefix)
          ? batch.topic.slice(this.prefix.length)
          : batch.topic;
        const messages: IncomingMessage[] = batch.messages.map((m) => ({
          topic,
          partition: batch.partition,
          offset: m.offset,
          key: m.key ? m.key.toString() : null,
          value: m.value,
          headers: Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, headerValue(v)])),
        }));
        for (let attempt = 0; ; attempt += 1) {
          if (!running || !payload.isRunning() || payload.isStale()) return;
          try {
            await options.handle(messages, { heartbeat });
            break;
          } catch (error) {
            // Transient failure (e.g. PostgreSQL down): keep the partition's place, back off, retry.
            this.options.log?.('warn', `consumer ${options.groupId}: batch failed, retrying`, {
              topic,
              partition: batch.partition,
              attempt,
              error: error instanceof Error ? error.message : String(error),
            });
            await new Promise((resolve) => setTimeout(resolve, backoff(attempt)));
            await heartbeat().catch(() => undefined);
          }
        }
        const last = batch.messages.at(-1);
        if (last) payload.resolveOffset(last.offset);
        await payload.commitOffsetsIfNecessary();
      },
    });
    return {
      stop: async () => {
        running = false;
        await consumer.disconnect();
        this.consumers.delete(consumer);
      },
    };
  }

  async isHealthy(): Promise<boolean> {
    try {
      const admin = await this.getAdmin();
      await admin.describeCluster();
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.consumers].map((c) => c.disconnect()));
    this.consumers.clear();
    await this.producer?.disconnect().catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
    this.producer = null;
    this.producerReady = null;
    this.admin = null;
  }

  private getProducer(): Promise<Producer> {
    this.producerReady ??= (async () => {
      // No retry limit: an idempotent producer retries until acknowledged (a bounded budget would
      // let a resend get new sequence numbers). While Kafka is down, publish waits; the outbox grows.
      const producer = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
        retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 200, maxRetryTime: 10_000 },
      });
      await producer.connect();
      this.producer = producer;
      return producer;
    })().catch((error: unknown) => {
      this.producerReady = null;
      throw error;
    });
    return this.producerReady;
  }

  private async getAdmin(): Promise<Admin> {
    if (!this.admin) {
      const admin = this.kafka.admin();
      await admin.connect();
      this.admin = admin;
    }
    return this.admin;
  }
}
