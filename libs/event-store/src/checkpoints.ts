import { type DataSource, type EntityManager } from 'typeorm';
import { START, type StoreCheckpoint } from './stored-event';

/** The `store_checkpoints` table: durable progress of the store's readers (the relay, rebuilds). */
export class StoreCheckpoints {
  constructor(private readonly db: DataSource) {}

  async load(name: string, manager: EntityManager = this.db.manager): Promise<StoreCheckpoint> {
    const rows: { transaction_id: string; global_position: string }[] = await manager.query(
      `SELECT transaction_id, global_position FROM store_checkpoints WHERE name = $1`,
      [name],
    );
    const row = rows[0];
    return row ? { transactionId: row.transaction_id, globalPosition: Number(row.global_position) } : START;
  }

  async save(
    name: string,
    checkpoint: StoreCheckpoint,
    manager: EntityManager = this.db.manager,
  ): Promise<void> {
    // GREATEST keeps the checkpoint monotonic even if a deposed leader writes late.
    await manager.query(
      `INSERT INTO store_checkpoints (name, transaction_id, global_position, updated_at)
       VALUES ($1, $2, $3, now())
       ON CONFLICT (name) DO UPDATE SET
         transaction_id = EXCLUDED.transaction_id, global_position = EXCLUDED.global_position, updated_at = now()
       WHERE (store_checkpoints.transaction_id, store_checkpoints.global_position)
           < (EXCLUDED.transaction_id, EXCLUDED.global_position)`,
      [name, checkpoint.transactionId, checkpoint.globalPosition],
    );
  }
}
