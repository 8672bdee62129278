import { Inject, Injectable } from '@nestjs/common';
import {
  type DeadLetterList,
  type DeadLetterQuery,
  type DeadLetterReplayRequest,
  type DeadLetterView,
} from '@feedwerk/contracts';
import { MESSAGE_TRANSPORT, type MessageTransport, type OutgoingMessage } from '@feedwerk/transport';
import { DataSource } from 'typeorm';

/** Headers a replayed record carries besides its own: which replay (audit action) and which dead letter. */
export const ReplayedDeadLetterHeaders = {
  actionId: 'feedwerk_dlt_replay',
  deadLetterId: 'feedwerk_dlt_id',
} as const;

const VALUE_PREVIEW = 4096;

interface DeadLetterRow {
  id: string;
  consumer_group: string;
  source_topic: string;
  source_partition: number;
  source_offset: string;
  fingerprint: string;
  reason: string;
  record_key: string | null;
  record_value: Buffer | null;
  headers: Record<string, string>;
  dead_lettered_at: Date;
  replayed_at: Date | null;
  replay_action_id: string | null;
  replay_count: number;
}

const toView = (row: DeadLetterRow): DeadLetterView => {
  const value = row.record_value === null ? null : row.record_value.toString('utf8');
  return {
    id: Number(row.id),
    reason: row.reason,
    topic: row.source_topic,
    partition: row.source_partition,
    offset: row.source_offset,
    group: row.consumer_group,
    key: row.record_key,
    value: value === null ? null : value.slice(0, VALUE_PREVIEW),
    valueTruncated: value !== null && value.length > VALUE_PREVIEW,
    headers: row.headers,
    deadLetteredAt: row.dead_lettered_at.toISOString(),
    replayedAt: row.replayed_at?.toISOString() ?? null,
    replayActionId: row.replay_action_id,
    replayCount: row.replay_count,
  };
};

const STATUS_FILTER: Record<DeadLetterQuery['status'], string> = {
  pending: 'AND replayed_at IS NULL',
  replayed: 'AND replayed_at IS NOT NULL',
  all: '',
};

/**
 * The dead letters the consumers parked (`dead_letters`, see DeadLetterOffice): listing, and replay
 * to the source topic, e.g. after a release that understands a record an older one could not. A
 * replayed record is the one that arrived (key, value, headers) plus the replay's ids; the consumers
 * deduplicate by stream version as for any redelivery, and park it again if it still cannot be
 * processed (a new dead letter: new offset).
 */
@Injectable()
export class DeadLetterService {
  constructor(
    private readonly db: DataSource,
    @Inject(MESSAGE_TRANSPORT) private readonly transport: MessageTransport,
  ) {}

  async list(query: DeadLetterQuery): Promise<DeadLetterList> {
    const rows: DeadLetterRow[] = await this.db.query(
      `SELECT * FROM dead_letters WHERE id > $1 ${STATUS_FILTER[query.status]} ORDER BY id LIMIT $2`,
      [query.after, query.limit + 1],
    );
    const page = rows.slice(0, query.limit).map(toView);
    return { items: page, nextAfter: rows.length > query.limit ? (page.at(-1)?.id ?? null) : null };
  }

  /** The dead letters a replay request names, oldest first, and the requested ids that do not exist. */
  async select(request: DeadLetterReplayRequest): Promise<{ ids: number[]; unknownIds: number[] }> {
    if (request.ids === undefined) {
      const rows = await this.db.query<{ id: string }[]>(
        `SELECT id FROM dead_letters WHERE replayed_at IS NULL ORDER BY id LIMIT $1`,
        [request.limit],
      );
      return { ids: rows.map((r) => Number(r.id)), unknownIds: [] };
    }
    const wanted = [...new Set(request.ids)].slice(0, request.limit).sort((a, b) => a - b);
    const rows = await this.db.query<{ id: string }[]>(
      `SELECT id FROM dead_letters WHERE id = ANY($1::bigint[]) ORDER BY id`,
      [wanted],
    );
    const found = rows.map((r) => Number(r.id));
    return { ids: found, unknownIds: wanted.filter((id) => !found.includes(id)) };
  }

  /**
   * Publishes the dead letters to their source topics, in dead-letter order per topic, then marks
   * them replayed by `actionId`. A record parked by several groups (the same topic, offset and
   * content) is sent once. A failed publish marks nothing (the request fails; replaying again sends
   * duplicates at worst, which consumers drop).
   */
  async replay(ids: readonly number[], actionId: string): Promise<number> {
    if (ids.length === 0) return 0;
    const rows: DeadLetterRow[] = await this.db.query(
      `SELECT * FROM dead_letters WHERE id = ANY($1::bigint[]) ORDER BY id`,
      [ids],
    );
    const byTopic = new Map<string, OutgoingMessage[]>();
    const sent = new Set<string>();
    for (const row of rows) {
      const identity = JSON.stringify([
        row.source_topic,
        row.source_partition,
        row.source_offset,
        row.fingerprint,
      ]);
      if (sent.has(identity)) continue;
      sent.add(identity);
      const messages = byTopic.get(row.source_topic) ?? [];
      messages.push({
        key: row.record_key ?? '',
        // A tombstone cannot be re-sent as one through the transport; it goes out empty (and is parked again).
        value: row.record_value?.toString('utf8') ?? '',
        headers: {
          ...row.headers,
          [ReplayedDeadLetterHeaders.actionId]: actionId,
          [ReplayedDeadLetterHeaders.deadLetterId]: row.id,
        },
      });
      byTopic.set(row.source_topic, messages);
    }
    for (const [topic, messages] of byTopic) await this.transport.publish(topic, messages);
    await this.db.query(
      `UPDATE dead_letters SET replayed_at = now(), replay_action_id = $2, replay_count = replay_count + 1
        WHERE id = ANY($1::bigint[])`,
      [rows.map((r) => r.id), actionId],
    );
    return rows.length;
  }
}
