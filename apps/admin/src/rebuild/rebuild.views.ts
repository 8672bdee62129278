import { type ProjectionView, RebuildableProjection, type RebuildView } from '@feedwerk/contracts';
import { PROJECTION_VERSIONS, type RebuildRecord } from '@feedwerk/read-models';

/** A rebuild as the API shows it; `remaining` = events after its checkpoint (running rebuilds only). */
export function rebuildView(record: RebuildRecord, remaining: number): RebuildView {
  const running = record.status === 'building' || record.status === 'switching';
  const total = running ? record.done + remaining : Math.max(record.total, record.done);
  const rate = running ? Math.round(record.eventsPerSecond) : 0;
  return {
    id: record.id,
    // The engine rebuilds any registered projection; the API names the contract's.
    projection: RebuildableProjection.parse(record.projection),
    generation: record.generation,
    status: record.status,
    requestedBy: record.requestedBy,
    requestedAt: record.requestedAt.toISOString(),
    finishedAt: record.finishedAt?.toISOString() ?? null,
    progress: {
      done: record.done,
      total,
      eventsPerSecond: rate,
      etaSeconds: running && rate > 0 ? Math.ceil((total - record.done) / rate) : running ? null : 0,
    },
    error: record.error,
    cancelRequested: record.cancelRequested,
  };
}

export function projectionView(
  name: RebuildableProjection,
  live: { generation: number; since: Date },
  rebuild: RebuildView | null,
): ProjectionView {
  return {
    name,
    version: PROJECTION_VERSIONS[name],
    liveGeneration: live.generation,
    liveSince: live.since.toISOString(),
    rebuild,
  };
}
