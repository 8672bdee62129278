import { type Consumer, type IHeaders, Kafka, type KafkaConfig, logLevel } from 'kafkajs';
import { countKeys, type CountRow, keyOf, toRows } from './counts';
import { loadState, RECENT_IDS, saveState, type State } from './state';

export interface AnalyticsOptions {
  readonly brokers: readonly string[];
  /** Must start with `analytics-`: the ACLs let analytics principals use only that group prefix. */
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Where counts, offsets and recent ce_ids are kept (one JSON file, replaced atomically). */
  readonly stateFile: string;
  readonly sasl?: KafkaConfig['sasl'];
  readonly ssl?: boolean;
  readonly log?: (message: string) => void;
}

const header = (headers: IHeaders | undefined, name: string): string | undefined => {
  const value = headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
};

/**
 * The reference consumer: counts public records per type, portal, region and hour in its own
 * consumer group. Per batch it first stores the counts together with the offsets they include
 * (one atomic file write), and only then commits those offsets to Kafka. After a restart it resumes
 * from the committed offsets; if it died between the two steps, the records Kafka hands out again
 * are below the stored offsets and are skipped, so nothing counts twice. A record the producer sent
 * twice (same ce_id, another offset) counts once as long as its id is among the recent ones.
 */
export class AnalyticsConsumer {
  private consumer: Consumer | null = null;
  private state: State | null = null;
  private recent = new Set<string>();
  /** Records counted / skipped since start (for tests and the page). */
  counted = 0;
  skipped = 0;

  constructor(private readonly options: AnalyticsOptions) {
    if (!options.groupId.startsWith('analytics-')) {
      throw new Error(
        `group ${options.groupId} must start with analytics- (the ACLs allow only that prefix)`,
      );
    }
  }

  rows(): CountRow[] {
    return this.state ? toRows(this.state.counts) : [];
  }

  /** `topic:partition` → the next offset not yet counted, as stored with the counts. */
  offsets(): Readonly<Record<string, string>> {
    return { ...(this.state?.offsets ?? {}) };
  }

  async start(): Promise<void> {
    this.state = await loadState(this.options.stateFile);
    this.recent = new Set(this.state.recentIds);
    const log = this.options.log;
    const kafka = new Kafka({
      clientId: this.options.groupId,
      brokers: [...this.options.brokers],
      sasl: this.options.sasl,
      ssl: this.options.ssl ?? false,
      logLevel: logLevel.WARN,
      logCreator: () => (entry) => log?.(`kafkajs ${entry.namespace}: ${entry.log.message}`),
    });
    // Topics appear as Feedwerk starts publishing them; subscribe to those there are (metadata shows
    // an analytics principal only the public topics it may read).
    const admin = kafka.admin();
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    await admin.disconnect();
    const topics = this.options.topics.filter((t) => existing.has(t));
    const missing = this.options.topics.filter((t) => !existing.has(t));
    if (missing.length > 0) log?.(`not (yet) there, not subscribed: ${missing.join(', ')}`);
    if (topics.length === 0) throw new Error(`none of the topics exists: ${this.options.topics.join(', ')}`);
    const consumer = kafka.consumer({ groupId: this.options.groupId, allowAutoTopicCreation: false });
    this.consumer = consumer;
    await consumer.connect();
    // A new group starts at the beginning: the counts should cover what the topics still hold.
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async (payload) => {
        const { batch } = payload;
        const state = this.state;
        if (!state || batch.messages.length === 0 || !payload.isRunning() || payload.isStale()) return;
        const slot = `${batch.topic}:${batch.partition}`;
        const stored = BigInt(state.offsets[slot] ?? '0');
        let last: string | null = null;
        for (const message of batch.messages) {
          last = message.offset;
          if (BigInt(message.offset) < stored) {
            this.skipped += 1; // counted before a restart that came before its commit
            continue;
          }
          const id = header(message.headers, 'ce_id');
          if (id && this.recent.has(id)) {
            this.skipped += 1;
            continue;
          }
          let value: unknown = null;
          try {
            value = message.value ? JSON.parse(message.value.toString('utf8')) : null;
          } catch {
            value = null;
          }
          const keys = countKeys(
            { type: header(message.headers, 'ce_type'), time: header(message.headers, 'ce_time') },
            value,
          );
          if (!keys) {
            this.skipped += 1;
            log?.(`skipped ${slot}@${message.offset}: not a public record`);
            continue;
          }
          for (const key of keys) state.counts[keyOf(key)] = (state.counts[keyOf(key)] ?? 0) + 1;
          if (id) this.remember(state, id);
          this.counted += 1;
        }
        if (last === null) return;
        const next = (BigInt(last) + 1n).toString();
        state.offsets[slot] = next;
        await saveState(this.options.stateFile, state);
        // Only now may Kafka consider these records done.
        await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
        payload.resolveOffset(last);
        await payload.heartbeat();
      },
    });
  }

  private remember(state: State, id: string): void {
    this.recent.add(id);
    state.recentIds.push(id);
    if (state.recentIds.length > RECENT_IDS) {
      const dropped = state.recentIds.splice(0, state.recentIds.length - RECENT_IDS);
      for (const old of dropped) this.recent.delete(old);
    }
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    this.consumer = null;
  }
}
