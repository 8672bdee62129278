import { z } from 'zod';

/**
 * The admin API's shapes, shared by the admin app (server), its page and its CLI (clients).
 * All routes need the admin credential (`Authorization: Bearer <ADMIN_TOKENS entry>`).
 */
export const AdminRoutes = {
  page: '/admin',
  /** GET: filters type, stream, portal, from, to, correlationId; cursor `after` (a global position); limit. */
  events: '/admin/events',
  /** GET: same filters, `format=jsonl|csv`, streamed; recorded as `history.exported`. */
  eventsExport: '/admin/events/export',
  /** GET /admin/streams/:streamId: the stream's full history. */
  stream: '/admin/streams/:streamId',
  /** GET /admin/streams/:streamId/state?version=N | ?at=ISO: the aggregate's state then. */
  streamState: '/admin/streams/:streamId/state',
  /** GET ?at=ISO&portal=&lang=&limit=: the ticker box as it was then. */
  boxAt: '/admin/ticker/box',
  /** GET: every rebuildable projection, its live generation and running rebuild. */
  projections: '/admin/projections',
  /** POST /admin/projections/:name/rebuilds: start a blue/green rebuild (202 + RebuildView). */
  rebuilds: '/admin/projections/:name/rebuilds',
  /** GET: one rebuild's progress; DELETE: cancel it. */
  rebuild: '/admin/rebuilds/:rebuildId',
  /** POST: republish a range of history (RepublishRequest) → 202 + RepublishView; GET: the list. */
  republishes: '/admin/republishes',
  /** GET: one republish's progress; DELETE: cancel it. */
  republish: '/admin/republishes/:republishId',
  /** GET ?status=pending|replayed|all&after=<id>&limit: records the consumers parked, oldest first. */
  deadLetters: '/admin/dead-letters',
  /** POST DeadLetterReplayRequest: re-publish dead letters to their source topics (audited). */
  deadLettersReplay: '/admin/dead-letters/replay',
  /** GET: the feed's health over the last minutes (AdminOpsView): events/s and the lag of every consumer group. */
  metrics: '/admin/metrics',
} as const;

/** One measurement of the feed's health (taken every METRICS_REFRESH_MS by the serving app). */
export interface AdminOpsSample {
  /** ms since the epoch */
  readonly at: number;
  readonly storeHead: number | null;
  /** Store positions not yet published by the relay (the outbox). */
  readonly relayLag: number | null;
  readonly eventsPerSecond: number | null;
  /** null: this app has no transport of its own. */
  readonly transportUp: boolean | null;
  readonly consumers: readonly {
    readonly group: string;
    readonly lag: number | null;
    readonly keepingUp: boolean;
  }[];
}

export interface AdminOpsView {
  /** Oldest first, at most the last 90. */
  readonly samples: readonly AdminOpsSample[];
}

/** The projections an admin can rebuild. */
export const REBUILDABLE_PROJECTIONS = ['activity', 'jobs'] as const;
export const RebuildableProjection = z.enum(REBUILDABLE_PROJECTIONS, {
  message: `must be one of ${REBUILDABLE_PROJECTIONS.join(', ')}`,
});
export type RebuildableProjection = z.infer<typeof RebuildableProjection>;

export const REBUILD_STATUSES = ['building', 'switching', 'live', 'cancelled', 'failed', 'retired'] as const;
export type RebuildStatus = (typeof REBUILD_STATUSES)[number];

/** Progress of a long admin job (rebuild, republish): what the page, the API and the CLI's bar show. */
export interface AdminJobProgress {
  /** Events processed so far. */
  readonly done: number;
  /** Events to process, as far as known now (the store keeps growing during a rebuild). */
  readonly total: number;
  /** Over the last few seconds. */
  readonly eventsPerSecond: number;
  /** null while unknown (no rate yet). */
  readonly etaSeconds: number | null;
}

export interface RebuildView {
  readonly id: string;
  readonly projection: RebuildableProjection;
  /** The generation being built (live generation + 1 when it started). */
  readonly generation: number;
  readonly status: RebuildStatus;
  /** The admin's fingerprint (never the token). */
  readonly requestedBy: string;
  readonly requestedAt: string;
  readonly finishedAt: string | null;
  readonly progress: AdminJobProgress;
  readonly error: string | null;
  /** A cancel was asked for; the builder stops at its next batch (status becomes `cancelled`). */
  readonly cancelRequested: boolean;
}

export interface ProjectionView {
  readonly name: RebuildableProjection;
  /** e.g. `activity@2` */
  readonly version: string;
  readonly liveGeneration: number;
  readonly liveSince: string;
  /** The running (building/switching) rebuild, if any. */
  readonly rebuild: RebuildView | null;
}

export const REPUBLISH_STATUSES = ['running', 'done', 'cancelled', 'failed'] as const;
export type RepublishStatus = (typeof REPUBLISH_STATUSES)[number];

/** Body of POST /admin/republishes: a range of global positions (inclusive), optionally by category. */
export const RepublishRequest = z
  .strictObject({
    fromPosition: z.number().int().min(1),
    toPosition: z.number().int().min(1),
    categories: z
      .array(z.enum(['jobs', 'employers', 'candidates', 'content']))
      .min(1)
      .optional(),
    /** Messages per second; the default keeps a backfill from crowding out live traffic. */
    ratePerSecond: z.number().int().min(1).max(100_000).default(1_000),
  })
  .refine((r) => r.fromPosition <= r.toPosition, {
    message: 'fromPosition must not exceed toPosition',
    path: ['toPosition'],
  });
export type RepublishRequest = z.output<typeof RepublishRequest>;

/** GET /admin/republishes: newest first. */
export interface RepublishList {
  readonly items: readonly RepublishView[];
}

export interface RepublishView {
  readonly id: string;
  readonly fromPosition: number;
  readonly toPosition: number;
  readonly categories: readonly string[] | null;
  readonly ratePerSecond: number;
  readonly status: RepublishStatus;
  readonly requestedBy: string;
  readonly requestedAt: string;
  readonly finishedAt: string | null;
  readonly progress: AdminJobProgress;
  readonly error: string | null;
}

export const DEAD_LETTER_STATUSES = ['pending', 'replayed', 'all'] as const;

/** Query of GET /admin/dead-letters. */
export const DeadLetterQuery = z.strictObject({
  status: z.enum(DEAD_LETTER_STATUSES).default('pending'),
  /** Cursor: the last id of the previous page. */
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export type DeadLetterQuery = z.output<typeof DeadLetterQuery>;

/** A record a consumer could never process, as it was parked (value shown as text, cut at 4 KiB). */
export interface DeadLetterView {
  readonly id: number;
  readonly reason: string;
  /** Where it came from: the topic (without the deployment's prefix), partition and offset. */
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** The consumer group that parked it. */
  readonly group: string;
  readonly key: string | null;
  /** null for a tombstone. */
  readonly value: string | null;
  readonly valueTruncated: boolean;
  /** The record's headers as it arrived (CloudEvents `ce_*` and any others). */
  readonly headers: Readonly<Record<string, string>>;
  readonly deadLetteredAt: string;
  /** The last replay (null: never replayed) and the audit action that did it. */
  readonly replayedAt: string | null;
  readonly replayActionId: string | null;
  readonly replayCount: number;
}

export interface DeadLetterList {
  readonly items: readonly DeadLetterView[];
  /** Pass as `after` for the next page; null on the last page. */
  readonly nextAfter: number | null;
}

/**
 * Body of POST /admin/dead-letters/replay: the ids to replay (replayed again even if they were
 * before), or `all: true` for every pending one (at most `limit` per request, oldest first).
 */
export const DeadLetterReplayRequest = z
  .strictObject({
    ids: z.array(z.number().int().min(1)).min(1).max(1000).optional(),
    all: z.literal(true, { message: 'must be true (or leave it out and give ids)' }).optional(),
    limit: z.number().int().min(1).max(1000).default(1000),
  })
  .refine((r) => (r.ids === undefined) !== (r.all === undefined), {
    message: 'give either ids or all: true',
    path: ['ids'],
  });
export type DeadLetterReplayRequest = z.output<typeof DeadLetterReplayRequest>;

export interface DeadLetterReplayResult {
  /** The audit record (AdminActionRecorded `dead-letter.replayed`); also on every replayed record. */
  readonly actionId: string;
  readonly replayed: number;
  /** Requested ids that do not exist. */
  readonly unknownIds: readonly number[];
}
