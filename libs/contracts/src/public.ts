import { z } from 'zod';
import { type FeedEvent } from './catalog';
import {
  EMPLOYMENT_TYPES,
  type JobLocation,
  SALARY_PERIODS,
  type SalaryRange,
} from './events/job-posted.event';
import { JOB_CLOSE_REASONS } from './events/job-closed.event';
import { CV_MEDIA_TYPES } from './events/cv-uploaded.event';
import { REGIONS } from './germany';
import { TickerKind } from './ticker-lines';

/**
 * The analytics contract: public topics carry public fields only, built by `toPublicRecord`, the
 * one allow-list mapping (reliability.md, security (d)). Nothing reaches a public topic unless a
 * field below names it; personal data, sealed fields, file references and pseudonymous candidate
 * ids never do. Public payloads have their own schema versions, independent of the stored events':
 * the store may change shape without analytics noticing, and a breaking public change is a new
 * public version (or a new `.v2` topic).
 */
export const PublicTopics = {
  jobs: 'feedwerk.public.jobs.v1',
  employers: 'feedwerk.public.employers.v1',
  content: 'feedwerk.public.content.v1',
  /** Candidate activity without any identifier: counts per portal, region and category. */
  candidates: 'feedwerk.public.candidates.v1',
  /** The ticker's items as they change (published by the activity projector). */
  activity: 'feedwerk.public.activity.v1',
} as const;
export type PublicTopicFamily = keyof typeof PublicTopics;

// Public schemas validate what we send, not what users type (that happened on the way in), so they
// are plain types that export to clean JSON Schema for consumers in any language.
const uuid = z.uuid();
const portal = z.string().min(1).max(40);
const region = z.enum(REGIONS);
const line = (max: number) => z.string().min(1).max(max);
const salary = z
  .strictObject({
    min: z.number().int().min(0),
    max: z.number().int().min(0),
    currency: z.literal('EUR'),
    period: z.enum(SALARY_PERIODS),
  })
  .nullable();
const location = z.strictObject({ city: line(100), region, postcode: z.string().regex(/^\d{5}$/) });

export const PublicJobPosted = z.strictObject({
  jobId: uuid,
  employerId: uuid,
  title: line(200),
  location,
  category: portal,
  employmentType: z.enum(EMPLOYMENT_TYPES),
  portal,
  source: z.enum(['direct', 'import']),
  salary,
  remote: z.boolean(),
});

const CHANGEABLE_FIELDS = [
  'title',
  'description',
  'location',
  'category',
  'employmentType',
  'salary',
  'remote',
] as const;

/** Which fields an update changed, and the public ones' new values (the description is not carried). */
export const PublicJobUpdated = z.strictObject({
  jobId: uuid,
  employerId: uuid,
  portal,
  region,
  category: portal,
  changedFields: z.array(z.enum(CHANGEABLE_FIELDS)),
  changes: z.strictObject({
    title: line(200).optional(),
    location: location.optional(),
    category: portal.optional(),
    employmentType: z.enum(EMPLOYMENT_TYPES).optional(),
    salary: salary.optional(),
    remote: z.boolean().optional(),
  }),
});

export const PublicJobClosed = z.strictObject({
  jobId: uuid,
  employerId: uuid,
  portal,
  reason: z.enum(JOB_CLOSE_REASONS),
});

export const PublicJobsRefreshed = z.strictObject({
  refreshId: uuid,
  employerId: uuid,
  count: z.number().int().min(1),
  portals: z.array(z.strictObject({ portal, count: z.number().int().min(1) })),
});

/**
 * The company name is left out: a sole trader's business name is a person's name (reliability.md,
 * security (d)), and the ticker does not show it either.
 */
export const PublicEmployerRegistered = z.strictObject({ employerId: uuid, city: line(100) });

export const PublicBlogPostPublished = z.strictObject({
  postId: uuid,
  slug: portal,
  title: line(200),
  portal: portal.nullable(),
});

/** No candidate id, CV id, headline, file or exact time: nothing that could single a person out. */
export const PublicCvUploaded = z.strictObject({
  portal,
  region: region.nullable(),
  category: portal.nullable(),
  mediaType: z.enum(CV_MEDIA_TYPES),
});

export interface PublicEventDefinition<TSchema extends z.ZodType = z.ZodType> {
  /** `ce_type` on the public topic. */
  readonly type: string;
  /** `ce_schemaversion` on the public topic: the public payload's version. */
  readonly version: number;
  readonly family: Exclude<PublicTopicFamily, 'activity'>;
  readonly schema: TSchema;
  readonly description: string;
}

/** Every public event version consumers can see, by `ce_type`. */
export const publicEventCatalog = {
  JobPosted: {
    type: 'JobPosted',
    version: 1,
    family: 'jobs',
    schema: PublicJobPosted,
    description: 'A job ad went live on a portal (without its description text).',
  },
  JobUpdated: {
    type: 'JobUpdated',
    version: 1,
    family: 'jobs',
    schema: PublicJobUpdated,
    description: 'An open job ad was edited: which fields changed, and the new public values.',
  },
  JobClosed: {
    type: 'JobClosed',
    version: 1,
    family: 'jobs',
    schema: PublicJobClosed,
    description: 'A job ad was taken down.',
  },
  JobsRefreshed: {
    type: 'JobsRefreshed',
    version: 1,
    family: 'jobs',
    schema: PublicJobsRefreshed,
    description: 'An employer refreshed a batch of its open job ads; counts per portal.',
  },
  EmployerRegistered: {
    type: 'EmployerRegistered',
    version: 1,
    family: 'employers',
    schema: PublicEmployerRegistered,
    description: 'A company registered as an employer (city only; no names).',
  },
  BlogPostPublished: {
    type: 'BlogPostPublished',
    version: 1,
    family: 'content',
    schema: PublicBlogPostPublished,
    description: 'The editorial team published a blog post.',
  },
  CvUploaded: {
    type: 'CvUploaded',
    version: 1,
    family: 'candidates',
    schema: PublicCvUploaded,
    description: 'A CV was uploaded on a portal; no identifier of the candidate, time to the hour.',
  },
} as const satisfies Record<string, PublicEventDefinition>;

export type PublicEventType = keyof typeof publicEventCatalog;

/** One message for a public topic: the payload plus what becomes its key and CloudEvents headers. */
export interface PublicRecord {
  readonly family: Exclude<PublicTopicFamily, 'activity'>;
  readonly key: string;
  /** `ce_id`: the stored event's id (an event's id, never a person's). */
  readonly id: string;
  readonly type: PublicEventType;
  readonly version: number;
  /** `ce_subject`: the aggregate for jobs/employers/content; only the portal for candidates. */
  readonly subject: string;
  /** `ce_time`: the event's time; for candidate events truncated to the hour. */
  readonly time: string;
  /** null for candidate records: a request id could be joined with access logs to a person. */
  readonly correlationId: string | null;
  readonly causationId: string | null;
  readonly data: unknown;
}

const hourOf = (iso: string): string => {
  const time = new Date(iso);
  time.setUTCMinutes(0, 0, 0);
  return time.toISOString();
};

// Nested objects are copied field by field too: passing a stored object through would let a field
// added to the stored event later reach analytics (or, with the strict public schema, stall the relay).
const publicSalary = (salary: SalaryRange | null) =>
  salary && { min: salary.min, max: salary.max, currency: salary.currency, period: salary.period };
const publicLocation = (location: z.infer<typeof JobLocation>) => ({
  city: location.city,
  region: location.region,
  postcode: location.postcode,
});

type Mapped = Pick<PublicRecord, 'type' | 'data'> & {
  readonly key?: string;
  readonly subject?: string;
  readonly time?: string;
  /** Drops correlation and causation ids. */
  readonly untraced?: boolean;
};

/** The allow-list: which fields of which event are public. null: nothing of it is public. */
function publicPayload(event: FeedEvent): Mapped | null {
  switch (event.type) {
    case 'JobPosted': {
      const d = event.data;
      return {
        type: 'JobPosted',
        data: {
          jobId: d.jobId,
          employerId: d.employerId,
          title: d.title,
          location: publicLocation(d.location),
          category: d.category,
          employmentType: d.employmentType,
          portal: d.portal,
          source: d.source,
          salary: publicSalary(d.salary),
          remote: d.remote,
        },
      };
    }
    case 'JobUpdated': {
      const { changes: c, ...d } = event.data;
      const changes: Record<string, unknown> = {};
      if (c.title !== undefined) changes['title'] = c.title;
      if (c.location !== undefined) changes['location'] = publicLocation(c.location);
      if (c.category !== undefined) changes['category'] = c.category;
      if (c.employmentType !== undefined) changes['employmentType'] = c.employmentType;
      if (c.salary !== undefined) changes['salary'] = publicSalary(c.salary);
      if (c.remote !== undefined) changes['remote'] = c.remote;
      return {
        type: 'JobUpdated',
        data: {
          jobId: d.jobId,
          employerId: d.employerId,
          portal: d.portal,
          region: d.region,
          category: d.category,
          // Named from the allow-list, not from the stored keys: an unknown key is not a public field name.
          changedFields: CHANGEABLE_FIELDS.filter((field) => c[field] !== undefined).sort(),
          changes,
        },
      };
    }
    case 'JobClosed': {
      const d = event.data;
      return {
        type: 'JobClosed',
        data: { jobId: d.jobId, employerId: d.employerId, portal: d.portal, reason: d.reason },
      };
    }
    case 'JobsRefreshed': {
      const d = event.data;
      return {
        type: 'JobsRefreshed',
        data: {
          refreshId: d.refreshId,
          employerId: d.employerId,
          count: d.count,
          portals: d.portals.map((p) => ({ portal: p.portal, count: p.count })),
        },
      };
    }
    case 'EmployerRegistered':
      return {
        type: 'EmployerRegistered',
        data: { employerId: event.data.employerId, city: event.data.city },
      };
    case 'BlogPostPublished': {
      const d = event.data;
      return {
        type: 'BlogPostPublished',
        data: { postId: d.postId, slug: d.slug, title: d.title, portal: d.portal },
      };
    }
    case 'CvUploaded': {
      const d = event.data;
      return {
        type: 'CvUploaded',
        // Keyed by portal: order per portal is all a count needs, and the stream id is a pseudonym.
        key: `portal:${d.portal}`,
        subject: `portal:${d.portal}`,
        time: hourOf(event.time),
        untraced: true,
        data: {
          portal: d.portal,
          region: d.public.region,
          category: d.public.category,
          mediaType: d.file.mediaType,
        },
      };
    }
    // Erasure has no public content (publishing it would tell when a person left), and the audit
    // log is internal.
    case 'CandidateErased':
    case 'AdminActionRecorded':
      return null;
  }
}

/**
 * The public record of a stored event, or null. The payload is validated against its public
 * schema here, so a mapping bug fails loudly in tests instead of leaking a field.
 */
export function toPublicRecord(event: FeedEvent): PublicRecord | null {
  const mapped = publicPayload(event);
  if (!mapped) return null;
  const definition: PublicEventDefinition = publicEventCatalog[mapped.type];
  return {
    family: definition.family,
    key: mapped.key ?? event.streamId,
    id: event.id,
    type: mapped.type,
    version: definition.version,
    subject: mapped.subject ?? event.streamId,
    time: mapped.time ?? event.time,
    correlationId: mapped.untraced ? null : event.correlationId,
    causationId: mapped.untraced ? null : event.causationId,
    data: definition.schema.parse(mapped.data),
  };
}

/**
 * `feedwerk.public.activity.v1`, `ce_type` ActivityItemChanged: the box's items as they change
 * (what the ticker shows, already free of personal data). Positions count within a generation of
 * the activity projection; a rebuild starts a new generation whose positions start again, so a
 * consumer keeps (generation, position) and resets when the generation grows. Key: the item id.
 */
export const PublicActivityChange = z.strictObject({
  generation: z.number().int().min(1),
  position: z.number().int().min(1),
  op: z.enum(['upsert', 'retract']),
  item: z.strictObject({
    id: uuid,
    kind: TickerKind,
    count: z.number().int().min(0),
    portal: portal.nullable(),
    region: region.nullable(),
    category: portal.nullable(),
    order: z.number().int().min(0),
    at: z.iso.datetime(),
  }),
});
export type PublicActivityChange = z.infer<typeof PublicActivityChange>;

export const PUBLIC_ACTIVITY_TYPE = 'ActivityItemChanged';
export const PUBLIC_ACTIVITY_VERSION = 1;
