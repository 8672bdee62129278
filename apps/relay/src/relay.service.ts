import { Inject, Injectable } from '@nestjs/common';
import {
  categoryOf,
  isEventType,
  PublicTopics,
  Topics,
  toFeedEvent,
  toPublicRecord,
} from '@feedwerk/contracts';
import { EventStore, type StoreCheckpoint, type StoredEvent } from '@feedwerk/event-store';
import {
  crashPoint,
  FEEDWERK_CONFIG,
  type FeedwerkConfig,
  exponentialBackoff,
  OPENED_DATABASE,
  type OpenedDatabase,
  PollingLoop,
} from '@feedwerk/platform';
import {
  DeadLetterHeaders,
  encodeEnvelope,
  encodePublicRecord,
  MESSAGE_TRANSPORT,
  type MessageTransport,
  type OutgoingMessage,
} from '@feedwerk/transport';
import { Client } from 'pg';
import { type QueryRunner } from 'typeorm';

export const RELAY_CHECKPOINT = 'relay';
/** Advisory lock key that elects the one relay allowed to publish. */
const RELAY_LOCK = 7_355_609;
/** How often a relay that does not lead asks for the lock again. */
const STANDBY_MS = 1_000;

/**
 * A read-ahead or checkpoint write whose failure surfaces where it is awaited; until then it must not
 * count as an unhandled rejection.
 */
const pending = <T>(work: Promise<T>): Promise<T> => {
  work.catch(() => undefined);
  return work;
};

/**
 * The outbox relay: publishes committed events from the store to the transport in commit order,
 * batched, then saves its (transaction id, position) checkpoint. Each event goes to its internal
 * topic and, when the allow-list mapping (`toPublicRecord`) gives one, as a public record to its
 * `feedwerk.public.*` topic, both before the checkpoint moves. At-least-once: a crash between
 * publish and checkpoint republishes what the checkpoint had not reached (up to two batches, see
 * `step`), which consumers deduplicate (by stream version internally, by `ce_id` on the public topics).
 * One relay leads at a time (a PostgreSQL advisory lock, re-checked before every batch); others
 * stand by and take over when the leader's session ends.
 */
@Injectable()
export class RelayService extends PollingLoop {
  private lockSession: QueryRunner | null = null;
  private listener: Client | null = null;
  private readonly onAppended = () => this.wakeUp();
  /** The pipeline (see `step`): where the next read starts, the read ahead, the checkpoint being written. */
  private checkpoint: StoreCheckpoint | null = null;
  private ahead: Promise<StoredEvent[]> | null = null;
  private saving: Promise<void> = Promise.resolve();
  /** Published events since start; for tests and metrics. */
  published = 0;

  constructor(
    private readonly store: EventStore,
    @Inject(MESSAGE_TRANSPORT) private readonly transport: MessageTransport,
    @Inject(FEEDWERK_CONFIG) private readonly config: FeedwerkConfig,
    @Inject(OPENED_DATABASE) private readonly database: OpenedDatabase,
  ) {
    super({
      name: RelayService.name,
      task: 'relay batch',
      idleMs: config.RELAY_IDLE_POLL_MS,
      // Jittered: relays that failed together (a broker restart) do not all retry at once.
      backoff: exponentialBackoff({ jitter: true }),
    });
  }

  override onApplicationBootstrap(): void {
    super.onApplicationBootstrap();
    this.store.appended.on('appended', this.onAppended);
    this.listen();
  }

  override async onModuleDestroy(): Promise<void> {
    this.store.appended.off('appended', this.onAppended);
    await super.onModuleDestroy();
    // Stopping: the last acknowledged batch's checkpoint is written before the relay lets go.
    await this.saving.catch((error: unknown) =>
      this.log.warn(
        `relay could not save its last checkpoint, that batch will be republished: ${String(error)}`,
      ),
    );
    await Promise.allSettled([this.ahead]);
    await this.releaseLeadership();
    await this.listener?.end().catch(() => undefined);
  }

  /**
   * Appends in other processes NOTIFY `feedwerk_events` on commit; listening turns the relay's
   * latency from a poll interval into a round trip. Polling stays as the fallback, so a lost
   * listener connection delays events, never loses them. (Embedded: appends wake the relay in-process.)
   */
  private listen(): void {
    const url = this.config.DATABASE_URL;
    if (this.database.embedded || !url || !this.running) return;
    const client = new Client({ connectionString: url, application_name: 'feedwerk-relay-listen' });
    this.listener = client;
    const retry = () => {
      if (this.listener !== client) return;
      this.listener = null;
      void client.end().catch(() => undefined);
      setTimeout(() => this.listen(), 1_000).unref();
    };
    client.on('notification', () => this.wakeUp());
    client.on('error', (error) => {
      this.log.warn(`relay listener lost its connection, polling until it is back: ${error.message}`);
      retry();
    });
    client
      .connect()
      .then(() => client.query('LISTEN feedwerk_events'))
      .catch(retry);
  }

  /**
   * One batch. The steps are pipelined so that PostgreSQL's round trips overlap Kafka's: while batch
   * k is on its way to the broker, batch k+1 is read (reading publishes nothing, so it needs no
   * leadership) and batch k-1's checkpoint is written. Leadership is still checked before every batch
   * is published, and checkpoints are still written in order, one at a time, each only after its
   * batch was acknowledged. What the overlap costs: a crash may republish up to two batches instead of
   * one, which consumers already drop (by stream version internally, by `ce_id` on the public topics).
   */
  protected async step(): Promise<boolean> {
    try {
      if (!(await this.lead())) {
        // Another relay moves the checkpoint meanwhile: reload it when leading again.
        await this.settle();
        await this.pause(STANDBY_MS);
        return true;
      }
      this.checkpoint ??= await this.store.loadCheckpoint(RELAY_CHECKPOINT);
      const batch = await (this.ahead ?? this.store.readAll(this.checkpoint, this.config.RELAY_BATCH_SIZE));
      this.ahead = null;
      if (batch.length === 0) return false;
      const last = batch[batch.length - 1]!;
      const next: StoreCheckpoint = {
        transactionId: last.transactionId,
        globalPosition: last.globalPosition,
      };
      this.ahead = pending(this.store.readAll(next, this.config.RELAY_BATCH_SIZE));
      await this.publish(batch);
      crashPoint('relay.afterSend');
      this.checkpoint = next;
      await this.saving;
      this.saving = pending(this.store.saveCheckpoint(RELAY_CHECKPOINT, next));
      this.published += batch.length;
      return true;
    } catch (error) {
      // Start over from the saved checkpoint, after what is in flight has ended either way.
      await this.settle();
      throw error;
    }
  }

  private async settle(): Promise<void> {
    await Promise.allSettled([this.ahead, this.saving]);
    this.ahead = null;
    this.saving = Promise.resolve();
    this.checkpoint = null;
  }

  /**
   * Publishes a batch, every topic at once; within a topic, in commit order (the producer keeps
   * per-key order). A public mapping that fails (a bug: the mapping is pure and the stored events are
   * valid) fails the batch, which is retried: the relay stalls loudly rather than leave a hole in
   * the public topics that nobody notices.
   */
  private async publish(batch: readonly StoredEvent[]): Promise<void> {
    const byTopic = new Map<string, OutgoingMessage[]>();
    const add = (topic: string, message: OutgoingMessage) => {
      const messages = byTopic.get(topic) ?? [];
      messages.push(message);
      byTopic.set(topic, messages);
    };
    for (const event of batch) {
      // Only known types are ever appended; anything else is kept for inspection, not dropped.
      if (!isEventType(event.type)) {
        const envelope = encodeEnvelope(event);
        // Same headers as a consumer's dead letter; the source is the store (no topic to replay it to).
        add(Topics.deadLetter, {
          ...envelope,
          headers: {
            ...envelope.headers,
            [DeadLetterHeaders.reason]: `unknown event type "${event.type}" in the store`,
            [DeadLetterHeaders.topic]: 'event-store',
            [DeadLetterHeaders.partition]: '0',
            [DeadLetterHeaders.offset]: String(event.globalPosition),
            [DeadLetterHeaders.group]: RELAY_CHECKPOINT,
            [DeadLetterHeaders.at]: new Date().toISOString(),
          },
        });
        continue;
      }
      add(Topics.events(categoryOf(event.type)), encodeEnvelope(event));
      const record = toPublicRecord(toFeedEvent(event));
      if (record) add(PublicTopics[record.family], encodePublicRecord(record));
    }
    // All topics of the batch in one go: one Kafka request per broker, not one per topic in turn.
    await this.transport.publishAll([...byTopic].map(([topic, messages]) => ({ topic, messages })));
  }

  /** True while this relay holds the leader lock. In the embedded default there is only one process. */
  private async lead(): Promise<boolean> {
    if (this.database.embedded) return true;
    try {
      if (!this.lockSession) {
        const session = this.database.dataSource.createQueryRunner();
        await session.connect();
        this.lockSession = session;
      }
      const rows = (await this.lockSession.query(
        `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()
                          AND objid = $1 AND granted) AS held`,
        [RELAY_LOCK],
      )) as { held: boolean }[];
      if (rows[0]?.held) return true;
      const acquired = (await this.lockSession.query(`SELECT pg_try_advisory_lock($1) AS ok`, [
        RELAY_LOCK,
      ])) as { ok: boolean }[];
      if (acquired[0]?.ok) this.log.log('this relay is now the leader');
      return acquired[0]?.ok ?? false;
    } catch (error) {
      // The lock's session broke: leadership is gone with it. Start over with a new session.
      await this.releaseLeadership();
      throw error;
    }
  }

  private async releaseLeadership(): Promise<void> {
    const session = this.lockSession;
    this.lockSession = null;
    if (!session) return;
    await session.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
    await session.release().catch(() => undefined);
  }
}
