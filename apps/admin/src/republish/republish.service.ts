import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  type AdminJobProgress,
  categoryOf,
  isEventType,
  publicEventCatalog,
  ReplayHeaders,
  ReplayTopics,
  type RepublishRequest,
  type RepublishStatus,
  type RepublishView,
  toFeedEvent,
  toPublicRecord,
} from '@feedwerk/contracts';
import { FEEDWERK_CONFIG, type FeedwerkConfig, PollingLoop } from '@feedwerk/platform';
import {
  encodePublicRecord,
  MESSAGE_TRANSPORT,
  type MessageTransport,
  type OutgoingMessage,
} from '@feedwerk/transport';
import { type EventRange, EventStore, type StoredEvent } from '@feedwerk/event-store';
import { RateLimiter } from 'limiter';
import { DataSource } from 'typeorm';

/** The categories a republish can name: those with public records (admin and erasure have none). */
export const REPUBLISH_CATEGORIES = ['jobs', 'employers', 'candidates', 'content'] as const;
const MAX_BATCH = 500;
const LEASE_SECONDS = 30;
const IDLE_POLL_MS = 1_000;
const ERROR_BACKOFF_MS = 2_000;
const RATE_WINDOW_MS = 5_000;

interface RepublishRow {
  id: string;
  from_position: string;
  to_position: string;
  categories: string[] | null;
  rate_per_second: number;
  status: RepublishStatus;
  requested_by: string;
  requested_at: Date;
  finished_at: Date | null;
  cursor: string;
  done: number;
  total: number;
  events_per_second: number;
  error: string | null;
}

/** The stored event types a republish of these categories publishes (those with a public record). */
export function republishedTypes(categories: readonly string[] | null): string[] {
  const wanted = new Set<string>(categories ?? REPUBLISH_CATEGORIES);
  return Object.keys(publicEventCatalog)
    .filter((type) => isEventType(type) && wanted.has(categoryOf(type)))
    .sort();
}

/**
 * The events a run republishes: its types in (after, upTo]. An erased candidate's uploads are left
 * out: the public record names nobody, but a backfill must not bring back a trace of someone who
 * left (reliability.md, security (c)).
 */
const rangeOf = (after: number, upTo: number, types: readonly string[]): EventRange => ({
  positions: { after, upTo },
  types,
  omit: { type: 'CvUploaded', inStreamsWith: 'CandidateErased' },
});

const toView = (row: RepublishRow): RepublishView => {
  const done = row.done;
  const finished = row.status !== 'running';
  const eventsPerSecond = finished ? 0 : Math.round(row.events_per_second * 10) / 10;
  const progress: AdminJobProgress = {
    done,
    total: row.total,
    eventsPerSecond,
    etaSeconds:
      row.status === 'done'
        ? 0
        : !finished && eventsPerSecond > 0
          ? Math.ceil(Math.max(0, row.total - done) / eventsPerSecond)
          : null,
  };
  return {
    id: row.id,
    fromPosition: Number(row.from_position),
    toPosition: Number(row.to_position),
    categories: row.categories,
    ratePerSecond: row.rate_per_second,
    status: row.status,
    requestedBy: row.requested_by,
    requestedAt: row.requested_at.toISOString(),
    finishedAt: row.finished_at ? row.finished_at.toISOString() : null,
    progress,
    error: row.error,
  };
};

/**
 * Republishes a range of history (global store positions, inclusive) to the replay topics
 * `feedwerk.public.<family>.replay.v1`: the same public records the live topics carry (same
 * allow-list, `ce_id`, key and headers) plus `feedwerk_replay_id/_from/_to`. Runs are rows in
 * `admin_republishes`; a worker in the admin app drives one run at a time under a lease, in
 * batches, through a token bucket at the run's rate. Its cursor (the last published position) is
 * saved after every batch, so a restarted worker resumes there; a cancel takes effect between
 * batches. At least once: a crash between publish and cursor republishes that batch (consumers
 * deduplicate by `ce_id`).
 */
@Injectable()
export class RepublishService extends PollingLoop {
  private readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private topicsReady = false;

  constructor(
    private readonly db: DataSource,
    @Inject(MESSAGE_TRANSPORT) private readonly transport: MessageTransport,
    @Inject(FEEDWERK_CONFIG) private readonly config: FeedwerkConfig,
    private readonly store: EventStore,
  ) {
    super({
      name: RepublishService.name,
      task: 'republish worker',
      idleMs: IDLE_POLL_MS,
      backoff: () => ERROR_BACKOFF_MS,
    });
  }

  override async onModuleDestroy(): Promise<void> {
    await super.onModuleDestroy();
    // Hand the run over at once: the next worker (or this app after a restart) resumes it.
    await this.db
      .query(`UPDATE admin_republishes SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1`, [
        this.owner,
      ])
      .catch(() => undefined);
  }

  /** Counts the range and records the run; the worker picks it up at once. */
  async start(
    request: RepublishRequest,
    requestedBy: string,
    id: string = randomUUID(),
  ): Promise<RepublishView> {
    const categories = request.categories ? [...new Set(request.categories)].sort() : null;
    const count = await this.store.countRange(
      rangeOf(request.fromPosition - 1, request.toPosition, republishedTypes(categories)),
    );
    const rows: RepublishRow[] = await this.db.query(
      `INSERT INTO admin_republishes
         (id, from_position, to_position, categories, rate_per_second, status, requested_by, requested_at, cursor, total)
       VALUES ($1, $2, $3, $4, $5, 'running', $6, now(), $7, $8)
       RETURNING *`,
      [
        id,
        request.fromPosition,
        request.toPosition,
        categories,
        request.ratePerSecond,
        requestedBy,
        request.fromPosition - 1,
        count,
      ],
    );
    this.wakeUp();
    return toView(rows[0]!);
  }

  async list(limit = 100): Promise<RepublishView[]> {
    const rows: RepublishRow[] = await this.db.query(
      `SELECT * FROM admin_republishes ORDER BY requested_at DESC, id LIMIT $1`,
      [limit],
    );
    return rows.map(toView);
  }

  async get(id: string): Promise<RepublishView | null> {
    const rows: RepublishRow[] = await this.db.query(`SELECT * FROM admin_republishes WHERE id = $1`, [id]);
    return rows[0] ? toView(rows[0]) : null;
  }

  /** Cancels a running run (effective before its next batch); null if it is not running. */
  async cancel(id: string): Promise<RepublishView | null> {
    const rows: [RepublishRow[], number] = await this.db.query(
      `UPDATE admin_republishes SET status = 'cancelled', finished_at = now(), updated_at = now()
        WHERE id = $1 AND status = 'running' RETURNING *`,
      [id],
    );
    const row = rows[0][0];
    return row ? toView(row) : null;
  }

  /** Drives one run (until it ends, or the worker stops); false when no run is waiting. */
  protected async step(): Promise<boolean> {
    await this.ensureTopics();
    const run = await this.claim();
    if (!run) return false;
    await this.drive(run);
    return true;
  }

  private async ensureTopics(): Promise<void> {
    if (this.topicsReady) return;
    await this.transport.ensureTopics(
      Object.values(ReplayTopics).map((topic) => ({
        topic,
        partitions: this.config.TOPIC_PARTITIONS,
        replicationFactor: this.config.TOPIC_REPLICATION_FACTOR,
      })),
    );
    this.topicsReady = true;
  }

  /** Takes the oldest running run whose lease is free (or already ours). */
  private async claim(): Promise<RepublishRow | null> {
    const rows: [RepublishRow[], number] = await this.db.query(
      `UPDATE admin_republishes SET lease_owner = $1, lease_until = now() + make_interval(secs => $2)
        WHERE id = (
          SELECT id FROM admin_republishes
           WHERE status = 'running' AND (lease_until IS NULL OR lease_until < now() OR lease_owner = $1)
           ORDER BY requested_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING *`,
      [this.owner, LEASE_SECONDS],
    );
    return rows[0][0] ?? null;
  }

  private async drive(run: RepublishRow): Promise<void> {
    const rate = run.rate_per_second;
    const batchSize = Math.min(MAX_BATCH, rate);
    const limiter = new RateLimiter({ tokensPerInterval: rate, interval: 'second' });
    const types = republishedTypes(run.categories);
    const to = Number(run.to_position);
    const headers = {
      [ReplayHeaders.id]: run.id,
      [ReplayHeaders.from]: run.from_position,
      [ReplayHeaders.to]: run.to_position,
    };
    let cursor = Number(run.cursor);
    let done = run.done;
    const window: { at: number; done: number }[] = [{ at: Date.now(), done }];

    while (this.running) {
      const [state] = await this.db.query<[{ status: RepublishStatus } | undefined]>(
        `SELECT status FROM admin_republishes WHERE id = $1`,
        [run.id],
      );
      if (state?.status !== 'running') return;
      const batch = await this.store.readRange(rangeOf(cursor, to, types), {
        order: 'oldest-first',
        limit: batchSize,
      });
      if (batch.length === 0) {
        await this.db.query(
          `UPDATE admin_republishes
              SET status = 'done', finished_at = now(), updated_at = now(), cursor = $2, events_per_second = 0,
                  lease_owner = NULL, lease_until = NULL
            WHERE id = $1 AND status = 'running'`,
          [run.id, to],
        );
        this.log.log(`republish ${run.id} done: ${done} events`);
        return;
      }
      let messages: Map<string, OutgoingMessage[]>;
      try {
        messages = this.encode(batch, headers);
      } catch (error) {
        await this.fail(
          run.id,
          `event at position ${batch[0]!.globalPosition}…: ${(error as Error).message}`,
        );
        return;
      }
      await limiter.removeTokens(batch.length);
      // One publish per topic, in position order: per key (stream) order holds on the replay topic.
      for (const [topic, list] of messages) await this.transport.publish(topic, list);

      cursor = batch[batch.length - 1]!.globalPosition;
      done += batch.length;
      const now = Date.now();
      window.push({ at: now, done });
      while (window.length > 2 && now - window[0]!.at > RATE_WINDOW_MS) window.shift();
      const first = window[0]!;
      const eventsPerSecond = now > first.at ? ((done - first.done) * 1000) / (now - first.at) : 0;
      const [, updated] = await this.db.query<[unknown, number]>(
        `UPDATE admin_republishes
            SET cursor = $2, done = $3, events_per_second = $4, updated_at = now(),
                lease_until = now() + make_interval(secs => $6)
          WHERE id = $1 AND status = 'running' AND lease_owner = $5`,
        [run.id, cursor, done, eventsPerSecond, this.owner, LEASE_SECONDS],
      );
      if (updated === 0) return; // cancelled meanwhile, or the lease went to another worker
    }
  }

  private encode(
    batch: readonly StoredEvent[],
    headers: Record<string, string>,
  ): Map<string, OutgoingMessage[]> {
    const byTopic = new Map<string, OutgoingMessage[]>();
    for (const stored of batch) {
      const event = toFeedEvent(stored);
      const record = toPublicRecord(event);
      if (!record) continue;
      const topic = ReplayTopics[record.family];
      const list = byTopic.get(topic) ?? [];
      list.push(encodePublicRecord(record, headers));
      byTopic.set(topic, list);
    }
    return byTopic;
  }

  private async fail(id: string, error: string): Promise<void> {
    this.log.error(`republish ${id} failed: ${error}`);
    await this.db.query(
      `UPDATE admin_republishes SET status = 'failed', error = $2, finished_at = now(), updated_at = now(),
              lease_owner = NULL, lease_until = NULL
        WHERE id = $1 AND status = 'running'`,
      [id, error.slice(0, 1000)],
    );
  }
}
