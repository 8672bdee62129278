import { type DataSource } from 'typeorm';
import { liveGeneration } from '../generations/generations';
import { jobsTables, type JobsTables } from './jobs.tables';

export interface JobView {
  readonly jobId: string;
  readonly employerId: string;
  /** The job stream's version this view reflects: what `If-Match` sends with the next change. */
  readonly version: number;
  readonly title: string;
  readonly description: string;
  readonly location: { readonly city: string; readonly region: string; readonly postcode: string };
  readonly category: string;
  readonly employmentType: string;
  readonly portal: string;
  readonly source: string;
  readonly salary: unknown;
  readonly remote: boolean;
  readonly status: 'open' | 'closed';
  readonly closeReason: string | null;
  readonly postedAt: string;
  readonly updatedAt: string;
  readonly refreshedAt: string | null;
  readonly closedAt: string | null;
}

export interface EmployerView {
  readonly employerId: string;
  readonly name: string;
  readonly website: string;
  readonly city: string;
  readonly registeredAt: string;
  readonly openJobs: number;
  readonly lastRefreshAt: string | null;
}

export interface JobFilter {
  readonly region?: string;
  readonly category?: string;
  readonly employerId?: string;
  readonly portal?: string;
  /** Words that must occur in the title or description (case-insensitive substring). */
  readonly text?: string;
}

/** Where a page ends: the last job's sort key. Opaque to clients (base64url JSON). */
export interface JobCursor {
  readonly postedAt: string;
  readonly jobId: string;
}

interface JobRow {
  job_id: string;
  employer_id: string;
  version: number;
  title: string;
  description: string;
  city: string;
  region: string;
  postcode: string;
  category: string;
  employment_type: string;
  portal: string;
  source: string;
  salary: unknown;
  remote: boolean;
  status: 'open' | 'closed';
  close_reason: string | null;
  posted_at: Date;
  updated_at: Date;
  refreshed_at: Date | null;
  closed_at: Date | null;
}

const toJobView = (r: JobRow): JobView => ({
  jobId: r.job_id,
  employerId: r.employer_id,
  version: r.version,
  title: r.title,
  description: r.description,
  location: { city: r.city, region: r.region, postcode: r.postcode },
  category: r.category,
  employmentType: r.employment_type,
  portal: r.portal,
  source: r.source,
  salary: r.salary,
  remote: r.remote,
  status: r.status,
  closeReason: r.close_reason,
  postedAt: r.posted_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
  refreshedAt: r.refreshed_at?.toISOString() ?? null,
  closedAt: r.closed_at?.toISOString() ?? null,
});

/** `%`, `_` and `\` are LIKE wildcards; user text matches literally. */
const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export const encodeCursor = (cursor: JobCursor): string =>
  Buffer.from(JSON.stringify([cursor.postedAt, cursor.jobId])).toString('base64url');

/** Null for anything that is not a cursor this service issued (the caller answers 400). */
export function decodeCursor(value: string): JobCursor | null {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (!Array.isArray(parsed) || parsed.length !== 2) return null;
    const [postedAt, jobId] = parsed as unknown[];
    if (typeof postedAt !== 'string' || Number.isNaN(Date.parse(postedAt))) return null;
    if (typeof jobId !== 'string' || !/^[0-9a-f-]{36}$/.test(jobId)) return null;
    return { postedAt: new Date(postedAt).toISOString(), jobId };
  } catch {
    return null;
  }
}

/**
 * Reads of the jobs read model for the portal. The listing shows open jobs only, newest first
 * (posted time, then id: a stable order that refreshes and updates do not reshuffle, so a cursor
 * never skips or repeats a job); a single job is found in any status.
 */
export class JobsReadModel {
  constructor(private readonly db: DataSource) {}

  /** Runs `read` on the live generation's tables, resolved in the same snapshot. */
  private live<T>(
    read: (query: <R>(sql: string, params: unknown[]) => Promise<R>, t: JobsTables) => Promise<T>,
  ) {
    return this.db.transaction('REPEATABLE READ', async (tx) => {
      const t = jobsTables(await liveGeneration(tx, 'jobs', 'none'));
      return read(<R>(sql: string, params: unknown[]) => tx.query<R>(sql, params), t);
    });
  }

  async job(jobId: string): Promise<JobView | null> {
    const rows = await this.live((query, t) =>
      query<JobRow[]>(`SELECT * FROM ${t.jobs} WHERE job_id = $1`, [jobId]),
    );
    return rows[0] ? toJobView(rows[0]) : null;
  }

  async list(
    filter: JobFilter,
    page: { readonly limit: number; readonly after?: JobCursor },
  ): Promise<{ items: JobView[]; nextCursor: string | null }> {
    const where = [`status = 'open'`];
    const params: unknown[] = [];
    const add = (sql: (p: string) => string, value: unknown) => {
      params.push(value);
      where.push(sql(`$${params.length}`));
    };
    if (filter.region !== undefined) add((p) => `region = ${p}`, filter.region);
    if (filter.category !== undefined) add((p) => `category = ${p}`, filter.category);
    if (filter.employerId !== undefined) add((p) => `employer_id = ${p}`, filter.employerId);
    if (filter.portal !== undefined) add((p) => `portal = ${p}`, filter.portal);
    if (filter.text !== undefined)
      add(
        (p) => `(title ILIKE ${p} ESCAPE '\\' OR description ILIKE ${p} ESCAPE '\\')`,
        likePattern(filter.text),
      );
    if (page.after) {
      params.push(page.after.postedAt, page.after.jobId);
      where.push(`(posted_at, job_id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    params.push(page.limit + 1);
    const rows = await this.live((query, t) =>
      query<JobRow[]>(
        `SELECT * FROM ${t.jobs} WHERE ${where.join(' AND ')}
          ORDER BY posted_at DESC, job_id DESC LIMIT $${params.length}`,
        params,
      ),
    );
    const items = rows.slice(0, page.limit).map(toJobView);
    const last = items.at(-1);
    return {
      items,
      nextCursor:
        rows.length > page.limit && last
          ? encodeCursor({ postedAt: last.postedAt, jobId: last.jobId })
          : null,
    };
  }

  async employer(employerId: string): Promise<EmployerView | null> {
    const rows = await this.live((query, t) =>
      query<
        {
          employer_id: string;
          name: string;
          website: string;
          city: string;
          registered_at: Date;
          last_refresh_at: Date | null;
          open_jobs: string;
        }[]
      >(
        `SELECT e.*, (SELECT count(*) FROM ${t.jobs} j WHERE j.employer_id = e.employer_id AND j.status = 'open')
                  AS open_jobs
           FROM ${t.employers} e WHERE e.employer_id = $1`,
        [employerId],
      ),
    );
    const r = rows[0];
    return r
      ? {
          employerId: r.employer_id,
          name: r.name,
          website: r.website,
          city: r.city,
          registeredAt: r.registered_at.toISOString(),
          openJobs: Number(r.open_jobs),
          lastRefreshAt: r.last_refresh_at?.toISOString() ?? null,
        }
      : null;
  }
}
