import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * activity@2: the box as a log of changes (upsert/retract) plus the current items, and the indexes
 * aggregation and retraction need. activity@1's table stays untouched beside it (blue/green).
 */
export class ActivityV21764231400000 implements MigrationInterface {
  name = 'ActivityV21764231400000';

  async up(db: QueryRunner): Promise<void> {
    // The feed: one row per change, gapless positions. `item_*` is the item after the change (for a
    // retract: as it was), so a resume replays exactly what a live client saw.
    await db.query(`
      CREATE TABLE rm_activity_v2_changes (
        position bigint PRIMARY KEY,
        op text NOT NULL CHECK (op IN ('upsert', 'retract')),
        item_id uuid NOT NULL,
        kind text NOT NULL,
        previous_kind text,
        portal text,
        region text,
        category text,
        count integer NOT NULL,
        item_order bigint NOT NULL,
        at timestamptz NOT NULL,
        event_id uuid NOT NULL
      )`);
    // The box now: the latest state of every item.
    await db.query(`
      CREATE TABLE rm_activity_v2_items (
        id uuid PRIMARY KEY,
        kind text NOT NULL,
        portal text,
        region text,
        category text,
        count integer NOT NULL,
        item_order bigint NOT NULL UNIQUE,
        position bigint NOT NULL,
        at timestamptz NOT NULL,
        started_at timestamptz NOT NULL,
        retracted boolean NOT NULL DEFAULT false
      )`);
    await db.query(
      `CREATE INDEX rm_activity_v2_items_box_idx ON rm_activity_v2_items (item_order DESC) WHERE NOT retracted`,
    );
    // The open aggregation item per portal and family (jobs:<portal>, cvs:<portal>).
    await db.query(`CREATE TABLE rm_activity_v2_slots (slot text PRIMARY KEY, item_id uuid NOT NULL)`);
    // job:<id> / cv:<id> → the item it counted towards; deleted when the job closes or the candidate is erased.
    await db.query(`
      CREATE TABLE rm_activity_v2_members (
        member text PRIMARY KEY,
        item_id uuid NOT NULL,
        subject text NOT NULL
      )`);
    await db.query(`CREATE INDEX rm_activity_v2_members_subject_idx ON rm_activity_v2_members (subject)`);
    await db.query(`INSERT INTO projection_state (projection) VALUES ('activity@2') ON CONFLICT DO NOTHING`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DELETE FROM projection_streams WHERE projection = 'activity@2'`);
    await db.query(`DELETE FROM projection_state WHERE projection = 'activity@2'`);
    await db.query(`DROP TABLE rm_activity_v2_members`);
    await db.query(`DROP TABLE rm_activity_v2_slots`);
    await db.query(`DROP TABLE rm_activity_v2_items`);
    await db.query(`DROP TABLE rm_activity_v2_changes`);
  }
}
