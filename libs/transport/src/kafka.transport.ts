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
  type TopicDrift,
  type TopicMessages,
  type TopicSpec,
} from './transport.port';
import { OffsetCommits } from './kafka-offset-commits';
import { ensureKafkaTopics } from './kafka-topics';
import { mergingCalls } from './merging-calls';

export interface KafkaTransportOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** Prepended to every topic name, so that several deployments or test runs can share a cluster. */
  readonly topicPrefix?: string;
  readonly log?: (level: 'error' | 'warn' | 'info' | 'debug', message: string, extra: object) => void;
  readonly sasl?: KafkaConfig['sasl'];
  /** TLS to the brokers (SASL_SSL in production); the system's CAs. */
  readonly ssl?: boolean;
  /**
   * Consumers commit their handled offsets at most this often (ms; default 1,000; 0: after every
   * batch, waiting for it). See `subscribe`.
   */
  readonly commitIntervalMs?: number;
}

const headerValue = (value: IHeaders[string]): string | undefined => {
  if (value === undefined) return undefined;
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
};

const DEFAULT_COMMIT_INTERVAL_MS = 1_000;

/**
 * Group membership timing (docs/decisions.md, issue 18). A member that stops heartbeating (a crashed
 * or frozen process) loses its partitions once the coordinator's session for it expires; the other
 * members learn of the rebalance at their next heartbeat and take them over. So partitions move
 * within about sessionTimeout + heartbeatInterval + one join round: 6 + 1 + <1 s. 6 s is the
 * broker's default group.min.session.timeout.ms (a shorter session is refused unless the broker is
 * reconfigured). kafkajs wants the heartbeat well under a third of the session, so that a missed
 * beat or two under load does not evict a live member: 1 s. The rebalance timeout bounds how long
 * a live member busy with a batch may take to rejoin before it is evicted; a crashed member is not
 * waited for at all (its session expiry removes it), so kafkajs' 60 s stays.
 */
const GROUP_TIMING = { sessionTimeout: 6_000, heartbeatInterval: 1_000, rebalanceTimeout: 60_000 };
/** How long stopping a subscription waits for its last commit. */
const STOP_COMMIT_WAIT_MS = 3_000;

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
  private closed = false;

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

  /**
   * Creates missing topics, then checks every topic against its spec. A different partition count
   * or replication factor throws (naming every mismatch): changing the partition count remaps keys
   * and breaks per-aggregate order, and a replication factor other than the one asked for is a
   * durability promise not kept; neither is changed automatically. A different value of a config
   * entry the spec sets (retention) is returned and logged, and left as the broker has it: an
   * operator may have tuned it on purpose, and it changes how far back consumers can read, never
   * what they read or in which order. Safe when several apps ensure the same topics at once.
   */
  async ensureTopics(specs: readonly TopicSpec[]): Promise<readonly TopicDrift[]> {
    return ensureKafkaTopics(
      await this.getAdmin(),
      specs,
      (topic) => this.topicName(topic),
      this.options.log,
    );
  }

  async publish(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    await this.publishAll([{ topic, messages }]);
  }

  async publishAll(batches: readonly TopicMessages[]): Promise<void> {
    const topicMessages = batches
      .filter((b) => b.messages.length > 0)
      .map((b) => ({
        topic: this.topicName(b.topic),
        messages: b.messages.map((m) => ({
          key: m.key,
          value: m.value,
          headers: { ...m.headers },
          ...(m.timestamp === undefined ? {} : { timestamp: m.timestamp }),
        })),
      }));
    if (topicMessages.length === 0) return;
    const producer = await this.getProducer();
    await producer.sendBatch({ acks: -1, topicMessages });
  }

  /**
   * Consumes in a group under a supervisor (reliability.md row 14). kafkajs restarts a consumer
   * itself after a retriable crash; after any other crash (an authorization error, say) it has
   * disconnected for good, and nothing would consume any more while the process looks healthy. The
   * supervisor then builds a new consumer in the same group, after a jittered back-off that grows
   * with consecutive crashes, until the subscription is stopped. Failing to connect or subscribe the
   * first time fails `subscribe` (the app's start) instead.
   */
  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const supervisor = {
      running: true,
      consumer: null as Consumer | null,
      timer: null as NodeJS.Timeout | null,
      /** Consecutive crashes without a handled batch in between (the back-off's exponent). */
      crashes: 0,
      commits: null as OffsetCommits | null,
    };
    const rebuildLater = (reason: string) => {
      if (!supervisor.running || supervisor.timer || this.closed) return;
      const delay = backoff(supervisor.crashes);
      supervisor.crashes += 1;
      this.options.log?.('error', `consumer ${options.groupId} stopped (${reason}); rebuilding it`, {
        groupId: options.groupId,
        attempt: supervisor.crashes,
        delayMs: Math.round(delay),
      });
      supervisor.timer = setTimeout(() => {
        supervisor.timer = null;
        if (!supervisor.running || this.closed) return;
        start().catch((error: unknown) =>
          rebuildLater(`rebuild failed: ${error instanceof Error ? error.message : String(error)}`),
        );
      }, delay);
    };
    const commitEvery = this.options.commitIntervalMs ?? DEFAULT_COMMIT_INTERVAL_MS;
    const start = async (): Promise<void> => {
      const consumer = this.kafka.consumer({
        // The prefix namespaces groups as it does topics: deployments (and test runs) sharing one cluster
        // must not join each other's groups, where partitions of one would be assigned to members of another.
        groupId: this.groupName(options.groupId),
        allowAutoTopicCreation: false,
        ...GROUP_TIMING,
        maxWaitTimeInMs: 250,
        retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 10_000 },
      });
      supervisor.consumer = consumer;
      this.consumers.add(consumer);
      const commits = new OffsetCommits(consumer, commitEvery, (message, error) =>
        this.options.log?.('warn', `consumer ${options.groupId}: ${message}`, {
          groupId: options.groupId,
          error: error instanceof Error ? error.message : String(error),
        }),
      );
      supervisor.commits = commits;
      // Offsets handled but not committed when partitions move are handled again by their new owner
      // (idempotently); committing them later could move another member's committed offset back.
      consumer.on(consumer.events.GROUP_JOIN, () => commits.forget());
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        if (payload.restart || supervisor.consumer !== consumer) return;
        commits.close();
        this.consumers.delete(consumer);
        rebuildLater(payload.error.message);
      });
      try {
        await consumer.connect();
        await consumer.subscribe({
          topics: options.topics.map((t) => this.topicName(t)),
          fromBeginning: options.fromBeginning,
        });
        const perCall = Math.max(1, options.partitionsPerCall ?? 1);
        const handle = perCall > 1 ? mergingCalls(options.handle) : options.handle;
        await consumer.run({
          // kafkajs hands over a fetch's partitions concurrently; mergingCalls joins them into one call.
          partitionsConsumedConcurrently: perCall,
          // Offsets are committed by OffsetCommits, once a second rather than after every batch; a batch
          // counts as handled only once its handler returned. (kafkajs' own auto-commit sends a commit
          // request after every batch, whatever its interval says, and with auto-commit off its
          // commitOffsetsIfNecessary() never commits: hence explicit commits of explicit offsets.)
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
              headers: Object.fromEntries(
                Object.entries(m.headers ?? {}).map(([k, v]) => [k, headerValue(v)]),
              ),
            }));
            for (let attempt = 0; ; attempt += 1) {
              if (!supervisor.running || !payload.isRunning() || payload.isStale()) return;
              // A long batch must not look like a dead member: beat on while it runs (as the Java client's
              // background heartbeat thread does), so the short session only measures a live process.
              const beating = setInterval(
                () => void heartbeat().catch(() => undefined),
                GROUP_TIMING.heartbeatInterval,
              );
              try {
                await handle(messages, { heartbeat });
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
              } finally {
                clearInterval(beating);
              }
            }
            const last = batch.messages.at(-1);
            if (last) {
              // Resolving moves the fetch position; the commit follows within the commit interval.
              payload.resolveOffset(last.offset);
              await commits.handled(batch.topic, batch.partition, last.offset);
            }
            supervisor.crashes = 0;
          },
        });
      } catch (error) {
        this.consumers.delete(consumer);
        await consumer.disconnect().catch(() => undefined);
        throw error;
      }
    };
    await start();
    return {
      stop: async () => {
        supervisor.running = false;
        if (supervisor.timer) clearTimeout(supervisor.timer);
        const consumer = supervisor.consumer;
        supervisor.consumer = null;
        if (!consumer) return;
        // What was handled is committed before leaving the group (kafkajs would not, with auto-commit off),
        // for a bounded time: with the broker away, kafkajs retries a commit until it is back, and a
        // stop must not wait for that (the records are handled again, idempotently, after the restart).
        if (supervisor.commits) {
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([
            supervisor.commits.flush(),
            new Promise<void>((resolve) => {
              timer = setTimeout(resolve, STOP_COMMIT_WAIT_MS);
            }),
          ]);
          clearTimeout(timer);
          supervisor.commits.close();
        }
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

  async consumerLags(
    topics: readonly string[],
    groupIds?: readonly string[],
  ): Promise<ReadonlyMap<string, number>> {
    const admin = await this.getAdmin();
    let groups: string[];
    if (groupIds) {
      groups = groupIds.map((id) => this.groupName(id));
    } else {
      const listed = (await admin.listGroups()).groups
        .map((g) => g.groupId)
        .filter((id) => id.startsWith(this.prefix));
      // Groups of nodes that are gone (a ticker node's group per node id) keep their offsets: only live ones count.
      groups =
        listed.length === 0
          ? []
          : (await admin.describeGroups(listed)).groups
              .filter(
                (g) =>
                  g.state === 'Stable' ||
                  g.state === 'PreparingRebalance' ||
                  g.state === 'CompletingRebalance',
              )
              .map((g) => g.groupId);
    }
    const ends = new Map<string, Map<number, number>>();
    const lags = new Map<string, number>();
    for (const group of groups) {
      let lag = 0;
      // Topics must be named: without them the broker answers no offsets at all.
      const offsets = await admin.fetchOffsets({
        groupId: group,
        topics: topics.map((t) => this.topicName(t)),
      });
      for (const { topic, partitions } of offsets) {
        let end = ends.get(topic);
        if (!end) {
          end = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
          ends.set(topic, end);
        }
        for (const { partition, offset } of partitions) {
          const committed = Number(offset);
          if (committed >= 0) lag += Math.max(0, (end.get(partition) ?? committed) - committed);
        }
      }
      lags.set(group.slice(this.prefix.length), lag);
    }
    return lags;
  }

  async close(): Promise<void> {
    this.closed = true;
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
