import { type MigrationInterface, type QueryRunner } from 'typeorm';

export class Activity1764230500000 implements MigrationInterface {
  name = 'Activity1764230500000';

  async up(db: QueryRunner): Promise<void> {
    // Per projection: the feed position counter (its row lock orders concurrent projector
    // transactions, which makes positions gapless and commit-ordered) and how far items were published.
    await db.query(`
      CREATE TABLE projection_state (
        projection text PRIMARY KEY,
        feed_position bigint NOT NULL DEFAULT 0,
        published_position bigint NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Per projection and stream: the last applied stream version (the idempotence checkpoint).
    await db.query(`
      CREATE TABLE projection_streams (
        projection text NOT NULL,
        stream_id text NOT NULL,
        version integer NOT NULL,
        PRIMARY KEY (projection, stream_id)
      )`);
    await db.query(`
      CREATE TABLE rm_activity_v1 (
        position bigint PRIMARY KEY,
        id uuid NOT NULL UNIQUE,
        event_id uuid NOT NULL UNIQUE,
        kind text NOT NULL,
        portal text,
        region text,
        category text,
        count integer NOT NULL,
        subject text NOT NULL,
        at timestamptz NOT NULL,
        retracted boolean NOT NULL DEFAULT false
      )`);
    await db.query(`CREATE INDEX rm_activity_v1_portal_idx ON rm_activity_v1 (portal, position DESC)`);
    await db.query(`INSERT INTO projection_state (projection) VALUES ('activity@1')`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE rm_activity_v1`);
    await db.query(`DROP TABLE projection_streams`);
    await db.query(`DROP TABLE projection_state`);
  }
}
