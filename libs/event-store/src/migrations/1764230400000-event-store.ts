import { type MigrationInterface, type QueryRunner } from 'typeorm';

export class EventStore1764230400000 implements MigrationInterface {
  name = 'EventStore1764230400000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE events (
        global_position bigserial PRIMARY KEY,
        event_id uuid NOT NULL CONSTRAINT events_event_id_uq UNIQUE,
        stream_id text NOT NULL,
        stream_position integer NOT NULL CHECK (stream_position > 0),
        type text NOT NULL,
        schema_version integer NOT NULL CHECK (schema_version > 0),
        data jsonb NOT NULL,
        metadata jsonb NOT NULL,
        occurred_at timestamptz NOT NULL,
        -- Taken when the row is inserted; the first write of an append is this insert, so a later
        -- append to the same stream always has a larger transaction id (see README).
        transaction_id bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
        CONSTRAINT events_stream_position_uq UNIQUE (stream_id, stream_position)
      )`);
    await db.query(`CREATE INDEX events_commit_order_idx ON events (transaction_id, global_position)`);
    await db.query(`CREATE INDEX events_type_idx ON events (type, global_position)`);
    await db.query(`
      CREATE TABLE idempotency_keys (
        scope text NOT NULL,
        key text NOT NULL,
        fingerprint text NOT NULL,
        result jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (scope, key)
      )`);
    await db.query(`
      CREATE TABLE store_checkpoints (
        name text PRIMARY KEY,
        transaction_id bigint NOT NULL,
        global_position bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // The event log is append-only: refuse UPDATE and DELETE at the database, not just in code.
    await db.query(`
      CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'events is append-only'; END $$`);
    await db.query(`
      CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
      FOR EACH ROW EXECUTE FUNCTION events_append_only()`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE store_checkpoints`);
    await db.query(`DROP TABLE idempotency_keys`);
    await db.query(`DROP TABLE events`);
    await db.query(`DROP FUNCTION events_append_only`);
  }
}
