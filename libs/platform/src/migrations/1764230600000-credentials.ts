import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** Employer API keys live beside the event log, never in it: events are published, credentials are not. */
export class Credentials1764230600000 implements MigrationInterface {
  name = 'Credentials1764230600000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE api_keys (
        key_id text PRIMARY KEY,
        employer_id uuid NOT NULL,
        salt text NOT NULL,
        hash text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      )`);
    await db.query(`CREATE INDEX api_keys_employer_idx ON api_keys (employer_id)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE api_keys`);
  }
}
