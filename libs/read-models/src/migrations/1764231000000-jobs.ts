import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The portal's read side: jobs and employers (projection `jobs@1`). Each row's `version` is the
 * last applied version of its stream, written in the same statement as the row's effect: that is
 * the projection's per-stream checkpoint.
 */
export class Jobs1764231000000 implements MigrationInterface {
  name = 'Jobs1764231000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE rm_jobs_v1 (
        job_id uuid PRIMARY KEY,
        employer_id uuid NOT NULL,
        version integer NOT NULL,
        title text NOT NULL,
        description text NOT NULL,
        city text NOT NULL,
        region text NOT NULL,
        postcode text NOT NULL,
        category text NOT NULL,
        employment_type text NOT NULL,
        portal text NOT NULL,
        source text NOT NULL,
        salary jsonb,
        remote boolean NOT NULL,
        status text NOT NULL CHECK (status IN ('open', 'closed')),
        close_reason text,
        posted_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        refreshed_at timestamptz,
        closed_at timestamptz
      )`);
    // The listing's stable order (newest first, id as tie-breaker) is also the cursor's key.
    await db.query(`CREATE INDEX rm_jobs_v1_listing_idx ON rm_jobs_v1 (posted_at DESC, job_id DESC)`);
    await db.query(`CREATE INDEX rm_jobs_v1_employer_idx ON rm_jobs_v1 (employer_id, posted_at DESC)`);
    await db.query(`CREATE INDEX rm_jobs_v1_region_idx ON rm_jobs_v1 (region, posted_at DESC)`);
    await db.query(`CREATE INDEX rm_jobs_v1_category_idx ON rm_jobs_v1 (category, posted_at DESC)`);
    await db.query(`
      CREATE TABLE rm_employers_v1 (
        employer_id uuid PRIMARY KEY,
        version integer NOT NULL,
        name text NOT NULL,
        website text NOT NULL,
        city text NOT NULL,
        registered_at timestamptz NOT NULL,
        last_refresh_at timestamptz
      )`);
    // Old idempotency keys are purged by age (see docs/decisions.md).
    await db.query(`CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX idempotency_keys_created_idx`);
    await db.query(`DROP TABLE rm_employers_v1`);
    await db.query(`DROP TABLE rm_jobs_v1`);
  }
}
