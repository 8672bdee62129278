import { type Actor, type EventEnvelope } from '@feedwerk/contracts';
import { type EntityManager } from 'typeorm';

/** A stored event with its raw payload (upcast with `toFeedEvent` from @feedwerk/contracts). */
export interface StoredEvent extends EventEnvelope<string, unknown> {
  /** The appending transaction's id; with globalPosition it forms the commit-order checkpoint. */
  readonly transactionId: string;
}

/** Where a reader of the whole store stands: the last (transaction id, global position) it has seen. */
export interface StoreCheckpoint {
  readonly transactionId: string;
  readonly globalPosition: number;
}
export const START: StoreCheckpoint = { transactionId: '0', globalPosition: 0 };

export interface EventMetadata {
  readonly correlationId: string;
  readonly causationId: string | null;
  readonly actor: Actor;
  /** CloudEvents `source`: the producing service, e.g. `/feedwerk/api`. */
  readonly source: string;
}

/** A row of the `events` table as pg returns it (bigint as string). */
export interface EventTableRow {
  global_position: string;
  event_id: string;
  stream_id: string;
  stream_position: number;
  type: string;
  schema_version: number;
  data: unknown;
  metadata: EventMetadata;
  occurred_at: Date;
}

export interface EventDbRow extends EventTableRow {
  transaction_id: string;
}

/** The columns every read of whole events selects (those of EventDbRow). */
export const SELECT_COLUMNS = `global_position, event_id, stream_id, stream_position, type, schema_version, data, metadata,
  occurred_at, transaction_id`;

/** The envelope of a stored row, payload as stored (not upcast). */
export const envelopeOfRow = (row: EventTableRow): EventEnvelope<string, unknown> => ({
  id: row.event_id,
  type: row.type,
  source: row.metadata.source,
  time: row.occurred_at.toISOString(),
  schemaVersion: row.schema_version,
  streamId: row.stream_id,
  streamPosition: row.stream_position,
  globalPosition: Number(row.global_position),
  correlationId: row.metadata.correlationId,
  causationId: row.metadata.causationId,
  actor: row.metadata.actor,
  data: row.data,
});

export const toStored = (row: EventDbRow): StoredEvent => ({
  ...envelopeOfRow(row),
  transactionId: row.transaction_id,
});

/** Whole events, decoded: `SELECT <every column> FROM events e <rest>` (`rest`: conditions, order, limit). */
export async function selectEvents(
  manager: EntityManager,
  rest: string,
  params: readonly unknown[],
): Promise<StoredEvent[]> {
  const rows: EventDbRow[] = await manager.query(`SELECT ${SELECT_COLUMNS} FROM events e ${rest}`, [
    ...params,
  ]);
  return rows.map(toStored);
}
