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

interface Group {
  readonly options: SubscribeOptions;
  /** Deliveries to one group never overlap: each waits for the one before (one consumer per group). */
  tail: Promise<void>;
  stopped: boolean;
  /** Per topic: the offset after the last message this group handled (its lag is the topic's end minus this). */
  readonly handled: Map<string, number>;
}

/**
 * The embedded default's transport: one partition per topic, delivered synchronously. `publish`
 * resolves only after every subscribed group has handled the messages, so a publisher that saves
 * its progress after `publish` never loses a message across a crash, even though nothing is kept
 * in memory: what was not handled is published again from the store (and deduplicated by the
 * consumers, as with Kafka). A handler that throws makes `publish` throw.
 */
export class InProcessTransport implements MessageTransport {
  readonly kind = 'in-process' as const;
  private readonly groups = new Map<string, Group[]>();
  private readonly offsets = new Map<string, number>();
  private closed = false;

  async ensureTopics(_topics: readonly TopicSpec[]): Promise<readonly TopicDrift[]> {
    return [];
  }

  async publish(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    if (this.closed) throw new Error('transport is closed');
    if (messages.length === 0) return;
    const first = this.offsets.get(topic) ?? 0;
    this.offsets.set(topic, first + messages.length);
    const incoming: IncomingMessage[] = messages.map((message, i) => ({
      topic,
      partition: 0,
      offset: String(first + i),
      key: message.key,
      value: Buffer.from(message.value),
      headers: { ...message.headers },
    }));
    const deliveries = (this.groups.get(topic) ?? []).map((group) => this.deliver(group, incoming));
    const results = await Promise.allSettled(deliveries);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  async publishAll(batches: readonly TopicMessages[]): Promise<void> {
    for (const { topic, messages } of batches) await this.publish(topic, messages);
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    // A group joins at the topic's end (nothing is kept in memory to start from the beginning).
    const handled = new Map(options.topics.map((topic) => [topic, this.offsets.get(topic) ?? 0]));
    const group: Group = { options, tail: Promise.resolve(), stopped: false, handled };
    for (const topic of options.topics) {
      const groups = this.groups.get(topic) ?? [];
      if (groups.some((g) => g.options.groupId === options.groupId)) {
        throw new Error(`group ${options.groupId} already consumes ${topic} in this process`);
      }
      this.groups.set(topic, [...groups, group]);
    }
    return {
      stop: async () => {
        group.stopped = true;
        for (const topic of options.topics) {
          this.groups.set(
            topic,
            (this.groups.get(topic) ?? []).filter((g) => g !== group),
          );
        }
        await group.tail.catch(() => undefined);
      },
    };
  }

  async isHealthy(): Promise<boolean> {
    return !this.closed;
  }

  async consumerLags(
    topics: readonly string[],
    groupIds?: readonly string[],
  ): Promise<ReadonlyMap<string, number>> {
    const lags = new Map<string, number>();
    for (const groups of this.groups.values()) {
      for (const group of groups) {
        const id = group.options.groupId;
        if (lags.has(id) || (groupIds && !groupIds.includes(id))) continue;
        let lag = 0;
        for (const [topic, handled] of group.handled) {
          if (topics.includes(topic)) lag += (this.offsets.get(topic) ?? 0) - handled;
        }
        lags.set(id, lag);
      }
    }
    return lags;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private deliver(group: Group, batch: readonly IncomingMessage[]): Promise<void> {
    const run = group.tail.then(async () => {
      // A stopped group must not count as delivered: the publisher would move past messages nobody handled.
      if (group.stopped) throw new Error(`consumer group ${group.options.groupId} has stopped`);
      await group.options.handle(batch, { heartbeat: async () => undefined });
      const last = batch.at(-1);
      if (last) group.handled.set(last.topic, Number(last.offset) + 1);
    });
    group.tail = run.catch(() => undefined);
    return run;
  }
}
