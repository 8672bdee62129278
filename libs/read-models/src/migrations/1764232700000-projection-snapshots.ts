import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Snapshots of the activity model: the admin's box at a time starts from the newest one at or
 * before the asked time and folds only the events after it (see docs/decisions.md: snapshots).
 *
 * `projection_snapshots` is one row per snapshot, keyed by projection, generation and a sequence
 * number, with the store checkpoint and feed position it stands at. Its contents are versioned rows
 * (`activity_snapshot_rows`): a row holds one item, slot or member as it was from snapshot
 * `valid_from` until the snapshot before `valid_to` (null: still so at the newest). A snapshot writes
 * only what changed since the previous one, so the table grows with the changes, not with
 * snapshots × state.
 */
export class ProjectionSnapshots1764232700000 implements MigrationInterface {
  name = 'ProjectionSnapshots1764232700000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE projection_snapshots (
        projection text NOT NULL,
        generation integer NOT NULL,
        seq integer NOT NULL CHECK (seq > 0),
        checkpoint_tx bigint NOT NULL,
        checkpoint_pos bigint NOT NULL,
        feed_position bigint NOT NULL,
        -- Events folded from position 0 up to this snapshot.
        events bigint NOT NULL,
        -- The newest occurred_at folded up to here: the snapshot answers any time at or after it.
        max_occurred timestamptz,
        -- The oldest occurred_at folded since the previous snapshot (null: none): a box at a time
        -- before it needs no event of this segment.
        min_occurred timestamptz,
        taken_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (projection, generation, seq)
      )`);
    await db.query(`
      CREATE TABLE activity_snapshot_rows (
        row_id bigserial PRIMARY KEY,
        generation integer NOT NULL,
        kind text NOT NULL CHECK (kind IN ('item', 'slot', 'member')),
        -- item: its id; slot: its name; member: job:<id> / cv:<id> (erased:<event id> once erased).
        key text NOT NULL,
        valid_from integer NOT NULL,
        valid_to integer,
        -- slot, member: the item it points at; member: the stream it came from.
        item_id uuid,
        subject text,
        -- item: its fields, as in rm_activity_v2_items.
        item_kind text,
        portal text,
        region text,
        category text,
        count integer,
        item_order bigint,
        position bigint,
        at timestamptz,
        started_at timestamptz,
        retracted boolean
      )`);
    await db.query(
      `CREATE INDEX activity_snapshot_rows_key_idx ON activity_snapshot_rows (generation, kind, key, valid_from)`,
    );
    await db.query(
      `CREATE INDEX activity_snapshot_rows_subject_idx ON activity_snapshot_rows (subject) WHERE kind = 'member'`,
    );
    // The box: a portal's shown items, newest first, among the versions valid at a snapshot.
    await db.query(
      `CREATE INDEX activity_snapshot_rows_box_idx ON activity_snapshot_rows (generation, portal, item_order DESC)
        WHERE kind = 'item' AND NOT retracted`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE activity_snapshot_rows`);
    await db.query(`DROP TABLE projection_snapshots`);
  }
}
