import { type EntityManager } from 'typeorm';

/**
 * Each stream's last applied version per projection generation (`projection_streams`), for the
 * projections that keep it apart from their rows: written in the same transaction as the effect,
 * it makes a redelivered event a no-op.
 */
export async function streamVersions(
  tx: EntityManager,
  key: string,
  streams: readonly string[],
): Promise<Map<string, number>> {
  const rows: { stream_id: string; version: number }[] = await tx.query(
    `SELECT stream_id, version FROM projection_streams WHERE projection = $1 AND stream_id = ANY($2::text[])`,
    [key, streams],
  );
  return new Map(rows.map((r) => [r.stream_id, r.version]));
}

/** Records each touched stream's version (never lowering one). */
export async function saveStreamVersions(
  tx: EntityManager,
  key: string,
  touched: ReadonlyMap<string, number>,
): Promise<void> {
  if (touched.size === 0) return;
  await tx.query(
    `INSERT INTO projection_streams (projection, stream_id, version)
     SELECT $1, * FROM unnest($2::text[], $3::int[])
     ON CONFLICT (projection, stream_id) DO UPDATE SET version = GREATEST(projection_streams.version, EXCLUDED.version)`,
    [key, [...touched.keys()], [...touched.values()]],
  );
}

/** Records a generation's feed head (its last committed position) in projection_state. */
export async function saveFeedHead(tx: EntityManager, key: string, position: number): Promise<void> {
  await tx.query(`UPDATE projection_state SET feed_position = $2, updated_at = now() WHERE projection = $1`, [
    key,
    position,
  ]);
}
