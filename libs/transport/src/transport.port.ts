import { ConfigurationError } from '@feedwerk/platform';

/**
 * The message transport port. Two adapters implement it: Kafka (production) and in-process (the
 * embedded default). Code above the port does not know which one runs.
 *
 * Guarantees every adapter gives:
 * - Per key order: messages published with the same key are delivered to a group in publish order.
 * - At-least-once: a batch whose handler throws is delivered again (after a back-off); a handler
 *   that returns has its batch acknowledged. Duplicates are possible: consumers must be idempotent.
 * - Every group gets every message of its topics; within a group, each partition has one consumer.
 */
export interface OutgoingMessage {
  readonly key: string;
  readonly value: string;
  readonly headers: Readonly<Record<string, string>>;
  /**
   * The record's timestamp (ms since the epoch, as a string); default: when it is sent. Public
   * candidate records set a coarse one, so the broker's timestamp does not undo their coarse time.
   */
  readonly timestamp?: string;
}

export interface TopicMessages {
  readonly topic: string;
  readonly messages: readonly OutgoingMessage[];
}

export interface IncomingMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  /** null for a tombstone. */
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string | undefined>>;
}

export interface BatchContext {
  /** Keeps the group membership alive during long batches. */
  heartbeat(): Promise<void>;
}

export interface SubscribeOptions {
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Where a group with no committed position starts: the beginning, or only new messages. */
  readonly fromBeginning: boolean;
  readonly handle: (batch: readonly IncomingMessage[], context: BatchContext) => Promise<void>;
  /**
   * Hand the handler the messages of up to this many partitions in one call (default 1: one
   * partition per call). For consumers that pay per call rather than per message (a transaction per
   * batch): a fetch returns a batch for each partition with new messages, and one call instead of
   * one per partition, one after the other, is what keeps their latency down. Each partition's order
   * is kept within the call, and no partition's offsets are committed before the call returned.
   */
  readonly partitionsPerCall?: number;
}

export interface Subscription {
  stop(): Promise<void>;
}

export interface TopicSpec {
  readonly topic: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly config?: Readonly<Record<string, string>>;
}

/** A config entry of an existing topic that differs from its spec, left as the broker has it. */
export interface TopicDrift {
  readonly topic: string;
  readonly config: string;
  readonly expected: string;
  /** null: the broker reported no value. */
  readonly actual: string | null;
}

export interface MessageTransport {
  readonly kind: 'kafka' | 'in-process';
  /**
   * Creates missing topics. An existing topic with another partition count or replication factor
   * is a TopicConfigurationError (never changed: a new partition count remaps keys); a differing
   * config entry (retention) is reported as drift and left alone.
   */
  ensureTopics(topics: readonly TopicSpec[]): Promise<readonly TopicDrift[]>;
  /** Resolves once the messages are durable (Kafka: acknowledged by all in-sync replicas). */
  publish(topic: string, messages: readonly OutgoingMessage[]): Promise<void>;
  /**
   * Several topics at once (the relay's batch: internal and public topics), with the guarantees of
   * `publish` for each. Kafka sends them in one request per broker instead of one per topic.
   */
  publishAll(batches: readonly TopicMessages[]): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /** True while the transport can publish (readiness). */
  isHealthy(): Promise<boolean>;
  /**
   * Messages on `topics` not yet handled per consumer group (the sum over the partitions of the
   * topic's end minus the group's committed offset; a partition without a committed offset counts
   * 0, as does a topic the group does not read). With `groupIds`, those groups; without, every group
   * of this deployment that has live members.
   */
  consumerLags(topics: readonly string[], groupIds?: readonly string[]): Promise<ReadonlyMap<string, number>>;
  close(): Promise<void>;
}

export const MESSAGE_TRANSPORT = Symbol('MessageTransport');

/** A topic on the broker whose layout differs from the configuration: start-up stops, for the operator to decide. */
export class TopicConfigurationError extends ConfigurationError {}
