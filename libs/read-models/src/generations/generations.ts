import { type EntityManager } from 'typeorm';
import { type Projection, type ProjectionName } from '../projection/projection';

/**
 * Generation 1 is what the migrations created; generation N > 1 is the same tables with `_g<N>`
 * (created LIKE the live ones, so the migrations stay the one place a schema is written).
 */
export const generationSuffix = (generation: number): string => {
  if (!Number.isInteger(generation) || generation < 1) throw new Error(`invalid generation ${generation}`);
  return generation === 1 ? '' : `_g${generation}`;
};

/** A generation's checkpoint key in projection_state / projection_streams (`activity@2`, `activity@2#g3`). */
export const checkpointKey = (version: string, generation: number): string =>
  generation === 1 ? version : `${version}#g${generation}`;

/**
 * The same checkpoint key as a SQL expression over a generation column (`checkpointKey` in SQL),
 * for statements that resolve the live generation and its counters in one snapshot.
 */
export const checkpointKeySql = (version: string, generation: string): string =>
  `CASE WHEN ${generation} = 1 THEN '${version}' ELSE '${version}#g' || ${generation} END`;

/**
 * The live generation, read inside the caller's transaction. Writers pass `share`: the row lock
 * makes a switch (FOR UPDATE) wait for their batch and makes them wait for the switch, so a batch
 * writes entirely to the old generation before it or entirely to the new one after it.
 */
export async function liveGeneration(
  tx: EntityManager,
  projection: ProjectionName,
  lock: 'share' | 'update' | 'none',
): Promise<number> {
  const locking = lock === 'share' ? ' FOR SHARE' : lock === 'update' ? ' FOR UPDATE' : '';
  const rows: { generation: number }[] = await tx.query(
    `SELECT generation FROM projection_live WHERE projection = $1${locking}`,
    [projection],
  );
  if (!rows[0]) throw new Error(`projection ${projection} has no live generation (migrations not run?)`);
  return rows[0].generation;
}

/** Each table of generation `live` with its counterpart in `generation`. */
const tablePairs = (projection: Projection, live: number, generation: number): [string, string][] => {
  const from = projection.tables(live);
  return projection.tables(generation).map((table, i): [string, string] => [from[i]!, table]);
};

/**
 * Creates generation `generation`'s empty tables beside the live ones (idempotent), without indexes
 * (and so without primary keys or unique constraints) for a bulk-loading projection: a bulk load is
 * several times cheaper without them; `addGenerationIndexes` adds them afterwards.
 */
export async function createGeneration(
  tx: EntityManager,
  projection: Projection,
  live: number,
  generation: number,
): Promise<void> {
  const like = projection.bulkLoad ? 'INCLUDING ALL EXCLUDING INDEXES' : 'INCLUDING ALL';
  for (const [source, table] of tablePairs(projection, live, generation)) {
    await tx.query(`CREATE TABLE IF NOT EXISTS ${table} (LIKE ${source} ${like})`);
  }
  await projection.initGeneration?.(tx, generation);
}

/**
 * Gives generation `generation`'s tables the live generation's primary keys, unique constraints
 * and indexes (copied from the catalog, so the migrations stay the one place they are written).
 */
export async function addGenerationIndexes(
  tx: EntityManager,
  projection: Projection,
  live: number,
  generation: number,
): Promise<void> {
  for (const [source, target] of tablePairs(projection, live, generation)) {
    const rename = (name: string) =>
      name.startsWith(source) ? `${target}${name.slice(source.length)}` : `${target}_${name}`;
    const constraints: { name: string; definition: string }[] = await tx.query(
      `SELECT conname AS name, pg_get_constraintdef(oid) AS definition FROM pg_constraint
        WHERE conrelid = $1::regclass AND contype IN ('p', 'u', 'x') ORDER BY conname`,
      [source],
    );
    for (const c of constraints) {
      await tx.query(`ALTER TABLE ${target} ADD CONSTRAINT ${rename(c.name)} ${c.definition}`);
    }
    const indexes: { name: string; definition: string }[] = await tx.query(
      `SELECT i.relname AS name, pg_get_indexdef(x.indexrelid) AS definition
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
        WHERE x.indrelid = $1::regclass
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
        ORDER BY i.relname`,
      [source],
    );
    for (const index of indexes) {
      const statement = index.definition.replace(
        /^CREATE (UNIQUE )?INDEX \S+ ON (ONLY )?\S+ /,
        (_m, unique: string | undefined) => `CREATE ${unique ?? ''}INDEX ${rename(index.name)} ON ${target} `,
      );
      if (statement === index.definition)
        throw new Error(`cannot copy index ${index.name}: ${index.definition}`);
      await tx.query(statement);
    }
  }
}

/** Drops a generation's tables and checkpoints (never the live one's). */
export async function dropGeneration(
  tx: EntityManager,
  projection: Projection,
  generation: number,
): Promise<void> {
  const tables = [...projection.tables(generation)].reverse();
  for (const table of [...tables, ...(projection.leftovers?.(generation) ?? [])]) {
    await tx.query(`DROP TABLE IF EXISTS ${table}`);
  }
  const key = checkpointKey(projection.version, generation);
  await tx.query(`DELETE FROM projection_streams WHERE projection = $1`, [key]);
  await tx.query(`DELETE FROM projection_state WHERE projection = $1`, [key]);
}
