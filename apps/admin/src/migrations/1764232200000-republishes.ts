import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Admin republish runs (history → replay topics). `cursor` is the run's checkpoint: the last global
 * position whose batch was published; a restarted worker resumes after it. A lease lets one
 * worker at a time drive a run.
 */
export class Republishes1764232200000 implements MigrationInterface {
  name = 'Republishes1764232200000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE admin_republishes (
        id uuid PRIMARY KEY,
        from_position bigint NOT NULL,
        to_position bigint NOT NULL,
        categories text[],
        rate_per_second integer NOT NULL,
        status text NOT NULL,
        requested_by text NOT NULL,
        requested_at timestamptz NOT NULL,
        finished_at timestamptz,
        cursor bigint NOT NULL,
        done integer NOT NULL DEFAULT 0,
        total integer NOT NULL,
        events_per_second double precision NOT NULL DEFAULT 0,
        error text,
        lease_owner text,
        lease_until timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(
      `CREATE INDEX admin_republishes_running_idx ON admin_republishes (requested_at) WHERE status = 'running'`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE admin_republishes`);
  }
}
