import { type EventCategory } from './define-event';

/**
 * Topic names. Internal event topics carry the full stored envelope (personal fields only ever
 * encrypted); `feedwerk.public.*` (the analytics contract) carry allow-listed public fields only.
 * The major version is part of the name: an incompatible change is a new topic, never a silent
 * change of meaning. A deployment may prefix all of them (TOPIC_PREFIX) to share a cluster.
 */
export const Topics = {
  events: (category: EventCategory) => `feedwerk.events.${category}.v1`,
  /** The activity feed's changes (TickerChangeRecord), one partition: one total feed order. */
  tickerChanges: 'feedwerk.ticker-changes.v1',
  deadLetter: 'feedwerk.dlt.v1',
} as const;

export const ALL_EVENT_CATEGORIES: readonly EventCategory[] = [
  'jobs',
  'employers',
  'candidates',
  'content',
  'admin',
];

/** Stream ids are `<aggregate>:<uuid>`; the stream id is also the Kafka record key. */
export const StreamIds = {
  job: (jobId: string) => `job:${jobId}`,
  employer: (employerId: string) => `employer:${employerId}`,
  candidate: (candidateId: string) => `candidate:${candidateId}`,
  /** Keyed by slug, so that publishing a second post under a taken slug is a version conflict. */
  blogPost: (slug: string) => `blog:${slug}`,
  /** One stream per admin action (audit log). */
  adminAction: (actionId: string) => `admin-action:${actionId}`,
} as const;
