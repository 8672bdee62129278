import { type EntityManager } from 'typeorm';

/** The projections that exist in generations (the registry's keys; the admin API's names). */
export type GenerationalProjection = 'activity' | 'jobs';

/** The schema version of each projection: part of its checkpoint key and its tables' names. */
export const PROJECTION_VERSIONS: Readonly<Record<GenerationalProjection, string>> = {
  activity: 'activity@2',
  jobs: 'jobs@1',
};

export interface ActivityTables {
  /** Checkpoint key in projection_state / projection_streams. */
  readonly name: string;
  readonly changes: string;
  readonly items: string;
  readonly slots: string;
  readonly members: string;
  /**
   * Stream versions staged by a builder of the previous version (no index: appended per
   * checkpoint, merged into projection_streams before the switch; builders now write them with
   * each checkpoint). Not one of the generation's tables.
   */
  readonly stagedVersions: string;
}

export interface JobsTables {
  readonly name: string;
  readonly jobs: string;
  readonly employers: string;
}

/**
 * Generation 1 is what the migrations created; generation N > 1 is the same tables with `_g<N>`
 * (created LIKE the live ones, so the migrations stay the one place a schema is written).
 */
const suffix = (generation: number): string => {
  if (!Number.isInteger(generation) || generation < 1) throw new Error(`invalid generation ${generation}`);
  return generation === 1 ? '' : `_g${generation}`;
};
const keyOf = (projection: GenerationalProjection, generation: number): string =>
  generation === 1 ? PROJECTION_VERSIONS[projection] : `${PROJECTION_VERSIONS[projection]}#g${generation}`;

/**
 * The same checkpoint key as a SQL expression over a generation column (`keyOf` in SQL), for
 * statements that resolve the live generation and its counters in one snapshot.
 */
export const checkpointKeySql = (projection: GenerationalProjection, generation: string): string =>
  `CASE WHEN ${generation} = 1 THEN '${PROJECTION_VERSIONS[projection]}' ` +
  `ELSE '${PROJECTION_VERSIONS[projection]}#g' || ${generation} END`;

export function activityTables(generation: number): ActivityTables {
  const s = suffix(generation);
  return {
    name: keyOf('activity', generation),
    changes: `rm_activity_v2_changes${s}`,
    items: `rm_activity_v2_items${s}`,
    slots: `rm_activity_v2_slots${s}`,
    members: `rm_activity_v2_members${s}`,
    stagedVersions: `rm_activity_v2_staged_versions${s}`,
  };
}

export function jobsTables(generation: number): JobsTables {
  const s = suffix(generation);
  return { name: keyOf('jobs', generation), jobs: `rm_jobs_v1${s}`, employers: `rm_employers_v1${s}` };
}

/** A generation's checkpoint key and its tables, in creation order. */
export function tablesOf(
  projection: GenerationalProjection,
  generation: number,
): { readonly key: string; readonly tables: readonly string[] } {
  if (projection === 'activity') {
    const t = activityTables(generation);
    return { key: t.name, tables: [t.changes, t.items, t.slots, t.members] };
  }
  const t = jobsTables(generation);
  return { key: t.name, tables: [t.jobs, t.employers] };
}

/**
 * The live generation, read inside the caller's transaction. Writers pass `share`: the row lock
 * makes a switch (FOR UPDATE) wait for their batch and makes them wait for the switch, so a batch
 * writes entirely to the old generation before it or entirely to the new one after it.
 */
export async function liveGeneration(
  tx: EntityManager,
  projection: GenerationalProjection,
  lock: 'share' | 'none',
): Promise<number> {
  const rows: { generation: number }[] = await tx.query(
    `SELECT generation FROM projection_live WHERE projection = $1${lock === 'share' ? ' FOR SHARE' : ''}`,
    [projection],
  );
  if (!rows[0]) throw new Error(`projection ${projection} has no live generation (migrations not run?)`);
  return rows[0].generation;
}

/**
 * Creates generation `generation`'s empty tables beside the live ones (idempotent). With
 * `withoutIndexes`, the tables get no indexes (and so no primary keys or unique constraints) yet: a
 * bulk load is several times cheaper without them; `addGenerationIndexes` adds them afterwards.
 */
export async function createGeneration(
  tx: EntityManager,
  projection: GenerationalProjection,
  live: number,
  generation: number,
  withoutIndexes = false,
): Promise<void> {
  const from = tablesOf(projection, live).tables;
  const to = tablesOf(projection, generation);
  const like = withoutIndexes ? 'INCLUDING ALL EXCLUDING INDEXES' : 'INCLUDING ALL';
  for (const [i, table] of to.tables.entries()) {
    await tx.query(`CREATE TABLE IF NOT EXISTS ${table} (LIKE ${from[i]!} ${like})`);
  }
  if (projection === 'activity') {
    await tx.query(
      `INSERT INTO projection_state (projection) VALUES ($1)
       ON CONFLICT (projection) DO UPDATE SET feed_position = 0, published_position = 0, updated_at = now()`,
      [to.key],
    );
  }
}

/**
 * Gives generation `generation`'s tables the live generation's primary keys, unique constraints
 * and indexes (copied from the catalog, so the migrations stay the one place they are written).
 */
export async function addGenerationIndexes(
  tx: EntityManager,
  projection: GenerationalProjection,
  live: number,
  generation: number,
): Promise<void> {
  const from = tablesOf(projection, live).tables;
  const to = tablesOf(projection, generation).tables;
  for (const [i, target] of to.entries()) {
    const source = from[i]!;
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
  projection: GenerationalProjection,
  generation: number,
): Promise<void> {
  const { key, tables } = tablesOf(projection, generation);
  for (const table of [...tables].reverse()) await tx.query(`DROP TABLE IF EXISTS ${table}`);
  if (projection === 'activity') {
    await tx.query(`DROP TABLE IF EXISTS ${activityTables(generation).stagedVersions}`);
  }
  await tx.query(`DELETE FROM projection_streams WHERE projection = $1`, [key]);
  await tx.query(`DELETE FROM projection_state WHERE projection = $1`, [key]);
}
