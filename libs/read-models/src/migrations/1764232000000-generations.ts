import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Blue/green rebuilds: the live generation of each rebuildable projection, and the rebuilds that
 * build the next one. Generation 1 is the tables the earlier migrations created.
 */
export class Generations1764232000000 implements MigrationInterface {
  name = 'Generations1764232000000';

  async up(db: QueryRunner): Promise<void> {
    // One row per projection; writers lock it FOR SHARE per batch, the switch FOR UPDATE.
    await db.query(`
      CREATE TABLE projection_live (
        projection text PRIMARY KEY,
        generation integer NOT NULL CHECK (generation > 0),
        since timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(
      `INSERT INTO projection_live (projection, generation) VALUES ('activity', 1), ('jobs', 1)`,
    );
    // checkpoint_*: the builder's position in the store's commit order, written with each batch's effect.
    await db.query(`
      CREATE TABLE projection_rebuilds (
        id uuid PRIMARY KEY,
        projection text NOT NULL,
        generation integer NOT NULL CHECK (generation > 1),
        status text NOT NULL
          CHECK (status IN ('building', 'switching', 'live', 'cancelled', 'failed', 'retired')),
        requested_by text NOT NULL,
        requested_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        checkpoint_tx bigint NOT NULL DEFAULT 0,
        checkpoint_pos bigint NOT NULL DEFAULT 0,
        done bigint NOT NULL DEFAULT 0,
        total bigint NOT NULL DEFAULT 0,
        events_per_second double precision NOT NULL DEFAULT 0,
        error text,
        cancel_requested boolean NOT NULL DEFAULT false,
        -- The builder (process) working on it and when it last committed a batch: its lease.
        builder text,
        heartbeat_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT projection_rebuilds_generation_uq UNIQUE (projection, generation)
      )`);
    // At most one running rebuild per projection: a second request is a 409, even when two race.
    await db.query(`
      CREATE UNIQUE INDEX projection_rebuilds_running_uq ON projection_rebuilds (projection)
       WHERE status IN ('building', 'switching')`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE projection_rebuilds`);
    await db.query(`DROP TABLE projection_live`);
  }
}
