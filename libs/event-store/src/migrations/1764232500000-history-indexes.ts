import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The admin history browser filters the log by time, correlation id and portal. Without these a
 * filter on a large store scans every row; stream and type are served by the existing indexes.
 */
export class HistoryIndexes1764232500000 implements MigrationInterface {
  name = 'HistoryIndexes1764232500000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE INDEX events_occurred_at_idx ON events (occurred_at, global_position)`);
    await db.query(
      `CREATE INDEX events_correlation_idx ON events ((metadata->>'correlationId'), global_position)`,
    );
    await db.query(`CREATE INDEX events_portal_idx ON events ((data->>'portal'), global_position)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX events_portal_idx`);
    await db.query(`DROP INDEX events_correlation_idx`);
    await db.query(`DROP INDEX events_occurred_at_idx`);
  }
}
