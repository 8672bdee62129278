import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Dead letters as the consumers park them (besides the dead-letter topic): what admins list and
 * replay. A table rather than a read of the topic because the embedded transport keeps no log, and
 * because a replay must be recorded per record. `fingerprint` makes parking idempotent: a batch
 * that fails after its dead letters were parked parks them again on retry.
 */
export class DeadLetters1764232600000 implements MigrationInterface {
  name = 'DeadLetters1764232600000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE dead_letters (
        id bigserial PRIMARY KEY,
        consumer_group text NOT NULL,
        source_topic text NOT NULL,
        source_partition integer NOT NULL,
        source_offset bigint NOT NULL,
        fingerprint text NOT NULL,
        reason text NOT NULL,
        record_key text,
        record_value bytea,
        headers jsonb NOT NULL,
        dead_lettered_at timestamptz NOT NULL DEFAULT now(),
        replayed_at timestamptz,
        replay_action_id uuid,
        replay_count integer NOT NULL DEFAULT 0,
        UNIQUE (consumer_group, source_topic, source_partition, source_offset, fingerprint)
      )`);
    await db.query(`CREATE INDEX dead_letters_pending_idx ON dead_letters (id) WHERE replayed_at IS NULL`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE dead_letters`);
  }
}
