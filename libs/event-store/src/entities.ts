import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn, Unique } from 'typeorm';

/**
 * One stored event. The table is append-only and doubles as the transactional outbox: the relay
 * publishes rows from here in commit order. Columns mirror the envelope (contracts/envelope.ts).
 */
@Entity({ name: 'events' })
@Unique('events_stream_position_uq', ['streamId', 'streamPosition'])
@Index('events_commit_order_idx', ['transactionId', 'globalPosition'])
export class EventRow {
  @PrimaryGeneratedColumn({ name: 'global_position', type: 'bigint' })
  globalPosition!: string;

  @Column({ name: 'event_id', type: 'uuid', unique: true })
  eventId!: string;

  @Column({ name: 'stream_id', type: 'text' })
  streamId!: string;

  @Column({ name: 'stream_position', type: 'integer' })
  streamPosition!: number;

  @Column({ type: 'text' })
  type!: string;

  @Column({ name: 'schema_version', type: 'integer' })
  schemaVersion!: number;

  @Column({ type: 'jsonb' })
  data!: unknown;

  @Column({ type: 'jsonb' })
  metadata!: unknown;

  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt!: Date;

  /** The writing transaction's id (xid8 as bigint); see README "commit order". */
  @Column({ name: 'transaction_id', type: 'bigint', insert: false, update: false })
  transactionId!: string;
}

/** The first answer to a command sent with an Idempotency-Key, replayed to retries. */
@Entity({ name: 'idempotency_keys' })
export class IdempotencyKeyRow {
  @PrimaryColumn({ type: 'text' })
  scope!: string;

  @PrimaryColumn({ type: 'text' })
  key!: string;

  /** Hash of the request (method, route, body): the same key with another body is refused. */
  @Column({ type: 'text' })
  fingerprint!: string;

  @Column({ type: 'jsonb', nullable: true })
  result!: unknown;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

/** Durable progress of a reader of the store (the relay, rebuilds): (transaction id, position). */
@Entity({ name: 'store_checkpoints' })
export class StoreCheckpointRow {
  @PrimaryColumn({ type: 'text' })
  name!: string;

  @Column({ name: 'transaction_id', type: 'bigint' })
  transactionId!: string;

  @Column({ name: 'global_position', type: 'bigint' })
  globalPosition!: string;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}

export const eventStoreEntities = [EventRow, IdempotencyKeyRow, StoreCheckpointRow];
