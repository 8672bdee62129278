import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Candidate keys (crypto-shredding) and candidate tokens live beside the event log, never in it.
 * A shredded key keeps its row with the key material set to NULL: the tombstone is what stops a new
 * key from being made for an erased candidate, so their old events can never be read again.
 */
export class Privacy1764230700000 implements MigrationInterface {
  name = 'Privacy1764230700000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE candidate_keys (
        candidate_id uuid PRIMARY KEY,
        key_id uuid NOT NULL UNIQUE,
        dek bytea,
        wrapped boolean NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        shredded_at timestamptz,
        CONSTRAINT candidate_keys_shredded_ck CHECK ((dek IS NULL) = (shredded_at IS NOT NULL))
      )`);
    await db.query(`
      CREATE TABLE candidate_tokens (
        key_id text PRIMARY KEY,
        candidate_id uuid NOT NULL,
        salt text NOT NULL,
        hash text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE INDEX candidate_tokens_candidate_idx ON candidate_tokens (candidate_id)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE candidate_tokens`);
    await db.query(`DROP TABLE candidate_keys`);
  }
}
