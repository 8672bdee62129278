import { type EntityManager } from 'typeorm';
import { type GenerationBuilder, type Projection } from '../projection/projection';
import { addGenerationIndexes, createGeneration, dropGeneration, liveGeneration } from './generations';

/**
 * A rebuild's first step: the projection's older retired generations are dropped (their tables are
 * kept until now, so readers in flight on them never fail) and `generation`'s tables created afresh.
 */
export async function startGeneration(
  tx: EntityManager,
  projection: Projection,
  generation: number,
): Promise<void> {
  const live = await liveGeneration(tx, projection.name, 'none');
  for (let g = 1; g < generation; g += 1) {
    if (g !== live) await dropGeneration(tx, projection, g);
  }
  await dropGeneration(tx, projection, generation);
  await createGeneration(tx, projection, live, generation);
}

/**
 * Points the live generation at the new one, atomically. The bulk is written, and indexed, before
 * the live row is locked: the live projector waits only for the catch-up. Locking the
 * projection_live row FOR UPDATE waits for the live projector's in-flight batch (it holds the row
 * FOR SHARE) and holds back its next one; `catchUp` then folds (and writes) every event up to the
 * readable frontier. The previous live generation is retired (its tables stay until the next
 * rebuild of the projection starts).
 */
export async function switchLive(
  tx: EntityManager,
  projection: Projection,
  builder: GenerationBuilder,
  generation: number,
  catchUp: () => Promise<void>,
): Promise<void> {
  await builder.ready?.(tx);
  if (projection.bulkLoad) {
    const live = await liveGeneration(tx, projection.name, 'none');
    await addGenerationIndexes(tx, projection, live, generation);
  }
  await liveGeneration(tx, projection.name, 'update');
  await catchUp();
  await tx.query(`UPDATE projection_live SET generation = $2, since = now() WHERE projection = $1`, [
    projection.name,
    generation,
  ]);
  await projection.switched?.(tx, generation);
}
