import { type FeedEvent, toFeedEvent } from '@feedwerk/contracts';
import { type EventStore } from '@feedwerk/event-store';
import { type DataSource, type EntityManager } from 'typeorm';
import { liveGeneration } from '../generations/generations';
import { type Projection } from '../projection/projection';
import { inStreamOrder } from '../stream-order';
import { JobsBuilder } from './jobs.builder';
import { JOBS_VERSION, jobsTables, type JobsTables } from './jobs.tables';

export interface JobsProjectionResult {
  readonly applied: number;
  /** Events already applied before (redeliveries) or of no interest to this projection. */
  readonly skipped: number;
  /** Events re-read from the store because the transport delivered a later version first. */
  readonly gapFilled: number;
}

const isJobStream = (streamId: string) => streamId.startsWith('job:');
const isEmployerStream = (streamId: string) => streamId.startsWith('employer:');

/**
 * Folds job and employer events into rm_jobs_v1 and rm_employers_v1. Guarantees:
 * - Exactly-once effect: a row's `version` is its stream's last applied version, changed by the
 *   same statement as the effect and only from `version - 1`, so a redelivered or stale event
 *   changes nothing, and a batch commits whole or not at all.
 * - Per-stream order: a version beyond the next expected one makes the projection re-read the
 *   missing versions from the event store first (a gap is filled, never skipped).
 * - Cross-stream: JobsRefreshed (employer stream) stamps the listed jobs that are open. Jobs it
 *   lists that the model has not seen yet (their topic lags) are first caught up from their own
 *   streams in the store, so a refresh never misses a job because of delivery order.
 */
export class JobsProjection implements Projection<JobsProjectionResult> {
  readonly name = 'jobs';
  readonly version = JOBS_VERSION;
  /** Its writes are conditional upserts: a generation is built with its indexes. */
  readonly bulkLoad = false;
  /** A batch is applied as it is read (the rows hold the versions; nothing to gain by waiting). */
  readonly checkpointEvery = 1;

  constructor(
    private readonly db: DataSource,
    private readonly store: EventStore,
  ) {}

  tables(generation: number): readonly string[] {
    const t = jobsTables(generation);
    return [t.jobs, t.employers];
  }

  builder(_tx: EntityManager, generation: number): Promise<JobsBuilder> {
    // The rows are the memory (each holds its stream's version): nothing to load.
    return Promise.resolve(
      new JobsBuilder(this.store, (tx, events) => this.applyIn(tx, jobsTables(generation), events)),
    );
  }

  async handle(events: readonly FeedEvent[]): Promise<JobsProjectionResult> {
    const relevant = events.filter((e) => isJobStream(e.streamId) || isEmployerStream(e.streamId));
    const skipped = events.length - relevant.length;
    if (relevant.length === 0) return { applied: 0, skipped, gapFilled: 0 };
    return this.db.transaction(async (tx) => {
      // The live generation, locked for this batch: a switch waits for it, or it waits for the switch.
      const t = jobsTables(await liveGeneration(tx, 'jobs', 'share'));
      const result = await this.applyIn(tx, t, relevant);
      return { ...result, skipped: skipped + result.skipped };
    });
  }

  /**
   * Applies events to generation `t` inside the caller's transaction (the live batch, or a
   * rebuild's batch in commit order), with the same per-stream order and exactly-once rules.
   */
  async applyIn(
    tx: EntityManager,
    t: JobsTables,
    events: readonly FeedEvent[],
  ): Promise<JobsProjectionResult> {
    const relevant = events.filter((e) => isJobStream(e.streamId) || isEmployerStream(e.streamId));
    let skipped = events.length - relevant.length;
    if (relevant.length === 0) return { applied: 0, skipped, gapFilled: 0 };
    const versions = await this.versions(tx, t, relevant);
    let applied = 0;
    let gapFilled = 0;
    for (const event of relevant) {
      const next = await inStreamOrder(this.store, tx, versions, event);
      if (next.kind === 'seen') {
        skipped += 1;
        continue;
      }
      gapFilled += next.gapFilled;
      if (event.type === 'JobsRefreshed') {
        // Its jobs travel on another topic: catch up the ones not projected yet from their own streams.
        const caughtUp = await this.catchUpJobs(tx, t, event.data.jobIds, versions);
        gapFilled += caughtUp;
        applied += caughtUp;
      }
      for (const e of next.events) {
        await this.apply(tx, t, e);
        applied += 1;
      }
    }
    return { applied, skipped, gapFilled };
  }

  private async apply(tx: EntityManager, t: JobsTables, event: FeedEvent): Promise<void> {
    const at = event.time;
    const v = event.streamPosition;
    switch (event.type) {
      case 'JobPosted': {
        const d = event.data;
        await tx.query(
          `INSERT INTO ${t.jobs} (job_id, employer_id, version, title, description, city, region, postcode,
             category, employment_type, portal, source, salary, remote, status, posted_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'open', $15, $15)
           ON CONFLICT (job_id) DO NOTHING`,
          [
            d.jobId,
            d.employerId,
            v,
            d.title,
            d.description,
            d.location.city,
            d.location.region,
            d.location.postcode,
            d.category,
            d.employmentType,
            d.portal,
            d.source,
            d.salary === null ? null : JSON.stringify(d.salary),
            d.remote,
            at,
          ],
        );
        return;
      }
      case 'JobUpdated': {
        const c = event.data.changes;
        // COALESCE keeps a field the update did not name; salary is nullable, so it has its own flag.
        await tx.query(
          `UPDATE ${t.jobs} SET version = $2, updated_at = $3,
             title = COALESCE($4, title), description = COALESCE($5, description),
             city = COALESCE($6, city), region = COALESCE($7, region), postcode = COALESCE($8, postcode),
             category = COALESCE($9, category), employment_type = COALESCE($10, employment_type),
             remote = COALESCE($11, remote),
             salary = CASE WHEN $12 THEN $13::jsonb ELSE salary END
           WHERE job_id = $1 AND version = $2 - 1`,
          [
            event.data.jobId,
            v,
            at,
            c.title ?? null,
            c.description ?? null,
            c.location?.city ?? null,
            c.location?.region ?? null,
            c.location?.postcode ?? null,
            c.category ?? null,
            c.employmentType ?? null,
            c.remote ?? null,
            c.salary !== undefined,
            c.salary ? JSON.stringify(c.salary) : null,
          ],
        );
        return;
      }
      case 'JobClosed':
        await tx.query(
          `UPDATE ${t.jobs} SET version = $2, status = 'closed', close_reason = $3, closed_at = $4, updated_at = $4
           WHERE job_id = $1 AND version = $2 - 1`,
          [event.data.jobId, v, event.data.reason, at],
        );
        return;
      case 'EmployerRegistered': {
        const d = event.data;
        await tx.query(
          `INSERT INTO ${t.employers} (employer_id, version, name, website, city, registered_at)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (employer_id) DO NOTHING`,
          [d.employerId, v, d.name, d.website, d.city, at],
        );
        return;
      }
      case 'JobsRefreshed': {
        const moved: unknown[] = await tx.query(
          `UPDATE ${t.employers} SET version = $2, last_refresh_at = $3
           WHERE employer_id = $1 AND version = $2 - 1 RETURNING employer_id`,
          [event.data.employerId, v, at],
        );
        const [rows] = moved as [unknown[], number];
        if (rows.length === 0) return;
        await tx.query(
          `UPDATE ${t.jobs} SET refreshed_at = $3
           WHERE job_id = ANY($1::uuid[]) AND employer_id = $2 AND status = 'open'`,
          [event.data.jobIds, event.data.employerId, at],
        );
        return;
      }
      case 'BlogPostPublished':
      case 'CvUploaded':
      case 'CandidateErased':
      case 'AdminActionRecorded':
        // These carry nothing this model shows and are not on job or employer streams today; should
        // one appear there, the stream's version still advances.
        await tx.query(
          isJobStream(event.streamId)
            ? `UPDATE ${t.jobs} SET version = $2 WHERE job_id = $1 AND version = $2 - 1`
            : `UPDATE ${t.employers} SET version = $2 WHERE employer_id = $1 AND version = $2 - 1`,
          [event.streamId.slice(event.streamId.indexOf(':') + 1), v],
        );
    }
  }

  /**
   * Applies, in stream order, the stored events of listed jobs this projection has not seen at all
   * (Kafka orders the jobs and employers topics independently). Their later delivery is then a
   * redelivery and changes nothing. Returns how many events it applied.
   */
  private async catchUpJobs(
    tx: EntityManager,
    t: JobsTables,
    jobIds: readonly string[],
    versions: Map<string, number>,
  ): Promise<number> {
    const notInBatch = jobIds.filter((id) => !versions.has(`job:${id}`));
    if (notInBatch.length > 0) {
      const rows: { job_id: string; version: number }[] = await tx.query(
        `SELECT job_id, version FROM ${t.jobs} WHERE job_id = ANY($1::uuid[])`,
        [notInBatch],
      );
      for (const row of rows) versions.set(`job:${row.job_id}`, row.version);
    }
    const unseen = jobIds.map((id) => `job:${id}`).filter((stream) => (versions.get(stream) ?? 0) === 0);
    if (unseen.length === 0) return 0;
    const streams = await this.store.readStreams(unseen, tx);
    let applied = 0;
    for (const [streamId, stored] of streams) {
      for (const event of stored.map(toFeedEvent)) {
        await this.apply(tx, t, event);
        versions.set(streamId, event.streamPosition);
        applied += 1;
      }
    }
    return applied;
  }

  private async versions(
    tx: EntityManager,
    t: JobsTables,
    events: readonly FeedEvent[],
  ): Promise<Map<string, number>> {
    const id = (streamId: string) => streamId.slice(streamId.indexOf(':') + 1);
    const jobIds = [...new Set(events.filter((e) => isJobStream(e.streamId)).map((e) => id(e.streamId)))];
    const employerIds = [
      ...new Set(events.filter((e) => isEmployerStream(e.streamId)).map((e) => id(e.streamId))),
    ];
    const rows: { stream_id: string; version: number }[] = await tx.query(
      `SELECT 'job:' || job_id AS stream_id, version FROM ${t.jobs} WHERE job_id = ANY($1::uuid[])
       UNION ALL
       SELECT 'employer:' || employer_id, version FROM ${t.employers} WHERE employer_id = ANY($2::uuid[])`,
      [jobIds, employerIds],
    );
    return new Map(rows.map((r) => [r.stream_id, r.version]));
  }
}
