import { z } from 'zod';
import { Region } from './germany';
import { slug } from './text';

/**
 * Ticker protocol v1: the box "Neueste Aktivitäten" as a log of changes with gapless feed
 * positions. A change upserts an item (new, or updated in place: a burst that grew, a count that
 * changed) or retracts one (a closed job's item withdrawn). Clients keep a map id → item and apply
 * changes in position order. Binding for the ticker app and the widget.
 */

/**
 * The kinds of line the box "Neueste Aktivitäten" shows. One kind per line of the product's box;
 * the catalog below is the single place that maps a kind to its words and icon.
 */
export const TICKER_KINDS = [
  'job.posted',
  'job.updated',
  'jobs.refreshed',
  'jobs.burst',
  'job.imported',
  'blog.published',
  'cv.uploaded',
  'employer.registered',
] as const;
export const TickerKind = z.enum(TICKER_KINDS, { message: `must be one of ${TICKER_KINDS.join(', ')}` });
export type TickerKind = z.infer<typeof TickerKind>;

export const TICKER_LANGS = ['de', 'en'] as const;
export const TickerLang = z.enum(TICKER_LANGS, { message: 'must be de or en' });
export type TickerLang = z.infer<typeof TickerLang>;

interface Words {
  /** The line for an item of `count`. */
  readonly text: (count: number) => string;
  /** The small line under it ("12 neue Stellenanzeigen"), for counts above 1 only. */
  readonly detail: (count: number) => string | null;
}

interface Line {
  readonly icon: string | null;
  readonly de: Words;
  readonly en: Words;
}

const fixed = (text: string): Words => ({ text: () => text, detail: () => null });
const counted = (one: string, many: string, detailMany: (count: number) => string): Words => ({
  text: (count) => (count === 1 ? one : many),
  detail: (count) => (count > 1 ? detailMany(count) : null),
});

/** The product's box, line by line (de is the default, en on request), with correct plurals. */
export const TICKER_LINES: Readonly<Record<TickerKind, Line>> = {
  'job.posted': {
    icon: '➟',
    de: fixed('Neue Stellenanzeige eingestellt'),
    en: fixed('New job ad posted'),
  },
  'job.updated': {
    icon: '✓',
    de: fixed('Stellenanzeige wurde geupdatet'),
    en: fixed('Job ad updated'),
  },
  'jobs.refreshed': {
    icon: '↻',
    de: counted(
      'Stellenanzeige wurde aktualisiert',
      'Stellenanzeigen wurden aktualisiert',
      (n) => `${n} Stellenanzeigen`,
    ),
    en: counted('Job ad refreshed', 'Job ads refreshed', (n) => `${n} job ads`),
  },
  'jobs.burst': {
    icon: null,
    de: counted('Neue Jobangebote verfügbar', 'Neue Jobangebote verfügbar', (n) => countLine(n, 'de')),
    en: counted('New job offers available', 'New job offers available', (n) => countLine(n, 'en')),
  },
  'job.imported': {
    icon: null,
    de: fixed('Eine neue Jobanzeige'),
    en: fixed('A new job ad'),
  },
  'blog.published': {
    icon: '✉',
    de: fixed('Neuer Blog Beitrag'),
    en: fixed('New blog post'),
  },
  'cv.uploaded': {
    icon: null,
    de: counted(
      'Neuer Lebenslauf hochgeladen',
      'Neue Lebensläufe hochgeladen',
      (n) => `${n} neue Lebensläufe`,
    ),
    en: counted('New CV uploaded', 'New CVs uploaded', (n) => `${n} new CVs`),
  },
  'employer.registered': {
    icon: null,
    de: fixed('Neue Anmeldung Arbeitgeber'),
    en: fixed('New employer sign-up'),
  },
};

/** The box's heading, per language (the widget and the server-rendered snapshot use it). */
export const TICKER_TITLE: Readonly<Record<TickerLang, string>> = {
  de: 'Neueste Aktivitäten',
  en: 'Latest activity',
};

/** "1 neue Stellenanzeige" / "12 neue Stellenanzeigen": the count line shown under a burst. */
export function countLine(count: number, lang: TickerLang): string {
  if (lang === 'de') return count === 1 ? '1 neue Stellenanzeige' : `${count} neue Stellenanzeigen`;
  return count === 1 ? '1 new job ad' : `${count} new job ads`;
}

/** A feed position: gapless, 1, 2, 3, ... per projection version. */
const Position = z.number().int().positive();

/**
 * An item as the activity projection stores it: language-neutral and free of personal data by
 * construction (only these fields exist).
 */
export const TickerItemRecord = z.strictObject({
  id: z.uuid(),
  kind: TickerKind,
  count: z.number().int().min(0),
  /** null: a site-wide item shown on every portal (e.g. an employer sign-up). */
  portal: slug.nullable(),
  /** null: not tied to one region (site-wide, or a burst spanning regions): matches every region filter. */
  region: Region.nullable(),
  /** null: not tied to one category: matches every category filter. */
  category: slug.nullable(),
  /** Feed position at which the item was first added: the box sorts by it, newest first. */
  order: Position,
  /** Feed position of the change that last touched it. */
  position: Position,
  /** Time of the item's latest event (the event's own time, not the wall clock). */
  at: z.iso.datetime({ offset: true }),
});
export type TickerItemRecord = z.infer<typeof TickerItemRecord>;

/**
 * A change as carried on the ticker-changes topic: language-neutral. `item` is the item as it is
 * after the change (for a retract: as it was, so filters can decide who may hold it);
 * `previousKind` is set when an upsert changed the item's kind (a posting that became a burst), so
 * a client filtering on the old kind is told to drop it.
 */
export const TickerChangeRecord = z.strictObject({
  op: z.enum(['upsert', 'retract']),
  position: Position,
  item: TickerItemRecord,
  previousKind: TickerKind.nullable(),
});
export type TickerChangeRecord = z.infer<typeof TickerChangeRecord>;

/** An item as rendered for one language: plain text only, never HTML. Version 1 of the wire format. */
export interface TickerItemV1 {
  /** Stable across updates (uuid). */
  readonly id: string;
  readonly kind: TickerKind;
  readonly icon: string | null;
  /** The line, e.g. "Neue Jobangebote verfügbar". Plain text: render as text, never HTML. */
  readonly text: string;
  /** E.g. "12 neue Stellenanzeigen" for counts > 1, else null. */
  readonly detail: string | null;
  readonly count: number;
  readonly portal: string | null;
  readonly region: string | null;
  readonly category: string | null;
  /** Feed position at which the item was first added: the box sorts by it, newest first. */
  readonly order: number;
  /** Feed position of the change that last touched it. */
  readonly position: number;
  /** ISO time of the item's latest event (for "vor 2 Minuten"). */
  readonly at: string;
  readonly lang: TickerLang;
}

export type TickerChangeV1 =
  | { readonly op: 'upsert'; readonly position: number; readonly item: TickerItemV1 }
  | { readonly op: 'retract'; readonly position: number; readonly id: string };

export function renderTickerItem(record: TickerItemRecord, lang: TickerLang): TickerItemV1 {
  const line = TICKER_LINES[record.kind];
  const words = line[lang];
  return {
    id: record.id,
    kind: record.kind,
    icon: line.icon,
    text: words.text(record.count),
    detail: words.detail(record.count),
    count: record.count,
    portal: record.portal,
    region: record.region,
    category: record.category,
    order: record.order,
    position: record.position,
    at: record.at,
    lang,
  };
}

/** What one client wants to see: its portal's box (site-wide items included), optionally narrowed. */
export interface TickerFilter {
  readonly portal: string;
  readonly types?: readonly TickerKind[] | undefined;
  readonly region?: string | undefined;
  readonly category?: string | undefined;
}

/**
 * Whether an item belongs in a client's box. A null portal/region/category means "not tied to
 * one", so it matches every value (a site-wide sign-up, a burst spanning regions).
 */
export function matchesFilter(
  filter: TickerFilter,
  item: Pick<TickerItemRecord, 'kind' | 'portal' | 'region' | 'category'>,
): boolean {
  return (
    (item.portal === null || item.portal === filter.portal) &&
    (filter.types === undefined || filter.types.includes(item.kind)) &&
    (filter.region === undefined || item.region === null || item.region === filter.region) &&
    (filter.category === undefined || item.category === null || item.category === filter.category)
  );
}

/**
 * What a client with `filter` receives for a change: the upsert, a retract, or nothing. An upsert
 * that no longer matches only because its kind changed becomes a retract (the client may hold the
 * item under its old kind); a retract goes to every client that may hold the item. An item's
 * portal, region and category only ever widen, so no other upsert can turn a matching item into a
 * non-matching one.
 */
export function changeOpFor(
  filter: TickerFilter,
  change: TickerChangeRecord,
): TickerChangeRecord['op'] | null {
  const { item } = change;
  if (change.op === 'retract') return matchesFilter(filter, item) ? 'retract' : null;
  if (matchesFilter(filter, item)) return 'upsert';
  if (change.previousKind !== null && matchesFilter(filter, { ...item, kind: change.previousKind })) {
    return 'retract';
  }
  return null;
}

/** The change as a client with `filter` receives it in `lang`, or null (see changeOpFor). */
export function changeFor(
  filter: TickerFilter,
  change: TickerChangeRecord,
  lang: TickerLang,
): TickerChangeV1 | null {
  const op = changeOpFor(filter, change);
  if (op === null) return null;
  return renderChange(change, op, lang);
}

export function renderChange(
  change: TickerChangeRecord,
  op: TickerChangeRecord['op'],
  lang: TickerLang,
): TickerChangeV1 {
  return op === 'upsert'
    ? { op, position: change.position, item: renderTickerItem(change.item, lang) }
    : { op, position: change.position, id: change.item.id };
}

/** The socket.io protocol of namespace `/ticker`, and the ticker app's HTTP routes. */
export const TickerProtocol = {
  namespace: '/ticker',
  /** client → server, with an ack (TickerSubscribeAck). */
  subscribe: 'ticker.subscribe',
  /** server → client: TickerChangeV1, live, in position order, only matching changes. */
  change: 'ticker.change',
  /** server → client: TickerResync; the client re-subscribes without `since`. */
  resync: 'ticker.resync',
  /** Server-Sent Events: the same stream for pages without a client library. */
  streamPath: '/ticker/stream',
  /** Server-rendered HTML fragment of the box (no JavaScript, search engines). */
  snapshotPath: '/ticker/snapshot',
} as const;

export const TICKER_DEFAULT_LIMIT = 8;
export const TICKER_MAX_LIMIT = 50;

const Limit = z
  .number({ message: 'must be a number' })
  .int({ message: 'must be a whole number' })
  .min(1, { message: 'must be at least 1' })
  .max(TICKER_MAX_LIMIT, { message: `must be at most ${TICKER_MAX_LIMIT}` });

/**
 * A resume position as clients send it. Anything that is not a non-negative safe integer
 * (negative, a string, 10^18, NaN) cannot be served exactly and falls back to a snapshot, as the
 * protocol says; it is never an error.
 */
const Since = z
  .unknown()
  .optional()
  .transform((value) =>
    typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined,
  );

const Types = z
  .array(TickerKind)
  .min(1, { message: 'must name at least one kind' })
  .max(TICKER_KINDS.length)
  .transform((types) => [...new Set(types)]);

/**
 * A generation of the activity projection as clients send it back. Like `since`, anything that is
 * not a positive safe integer cannot be matched and counts as absent; it is never an error.
 */
const Generation = z
  .unknown()
  .optional()
  .transform((value) =>
    typeof value === 'number' && Number.isSafeInteger(value) && value >= 1 ? value : undefined,
  );

/**
 * The generation a client's `since` belongs to. Positions count within one generation of the
 * activity projection (a rebuild numbers its feed from 1 again), so a `since` is only served with
 * changes when its generation is the live one. A client of protocol v1 before generations existed
 * sends none: its positions are generation 1's, the only generation there was.
 */
export const TICKER_FIRST_GENERATION = 1;
export function sinceGeneration(generation: number | undefined): number {
  return generation ?? TICKER_FIRST_GENERATION;
}

/** `ticker.subscribe` payload. A second subscribe on a socket replaces the first. */
export const TickerSubscribeRequest = z.strictObject({
  portal: slug,
  lang: TickerLang.default('de'),
  types: Types.optional(),
  region: Region.optional(),
  category: slug.optional(),
  since: Since,
  /** The generation `since` belongs to (from the last ack or resync); absent: generation 1. */
  generation: Generation,
  limit: Limit.default(TICKER_DEFAULT_LIMIT),
});
export type TickerSubscribeRequest = z.output<typeof TickerSubscribeRequest>;

export type TickerSubscribeAck =
  | {
      readonly ok: true;
      readonly mode: 'snapshot';
      /** The current box, newest first (by `order`). */
      readonly items: readonly TickerItemV1[];
      readonly head: number;
      /** The generation `head` and the items' positions belong to: send it back with `since`. */
      readonly generation: number;
    }
  | {
      readonly ok: true;
      readonly mode: 'changes';
      /** Exactly the changes after `since` that match the filters, in position order. */
      readonly changes: readonly TickerChangeV1[];
      readonly head: number;
      readonly generation: number;
    }
  | { readonly ok: false; readonly error: string };

export const TICKER_RESYNC_REASONS = ['slow-client', 'rebuilt', 'gap'] as const;
export type TickerResyncReason = (typeof TICKER_RESYNC_REASONS)[number];

/** `ticker.resync` payload (and the SSE `resync` event): re-subscribe without `since`. */
export interface TickerResync {
  readonly reason: TickerResyncReason;
  readonly head: number;
  /** The generation the node serves now ('rebuilt': the new one; positions held before are void). */
  readonly generation: number;
}

/**
 * SSE event ids are `<generation>:<position>`, so a browser's Last-Event-ID names both. A bare
 * number (a stream opened before generations existed) is a position of generation 1. Anything else
 * cannot be resumed exactly: undefined (the stream starts with a snapshot).
 */
export function sseEventId(generation: number, position: number): string {
  return `${generation}:${position}`;
}
export function parseSseEventId(
  value: string | undefined,
): { readonly generation: number; readonly position: number } | undefined {
  const match = /^(?:(\d{1,9}):)?(\d{1,16})$/.exec(value ?? '');
  if (!match) return undefined;
  const generation = match[1] === undefined ? TICKER_FIRST_GENERATION : Number(match[1]);
  const position = Number(match[2]);
  if (generation < 1 || !Number.isSafeInteger(position)) return undefined;
  return { generation, position };
}

/**
 * The ticker-changes topic (`Topics.tickerChanges`) carries two kinds of record, told apart by
 * `ce_type`: changes (value TickerChangeRecord) and generation markers (value
 * TickerGenerationMarker). Every record names its generation in `ce_feedgeneration`; a change
 * without it predates generations (generation 1). A marker comes before any change of its
 * generation: ticker nodes adopt the generation, resync their clients and continue after `head`.
 */
export const TICKER_CHANGE_TYPE = 'feedwerk.ticker.change';
export const TICKER_GENERATION_TYPE = 'feedwerk.ticker.generation';
export const TICKER_GENERATION_HEADER = 'ce_feedgeneration';
export const TICKER_POSITION_HEADER = 'ce_feedposition';

export const TickerGenerationMarker = z.strictObject({
  generation: z.number().int().min(1),
  /** The generation's published position when the marker was sent: its changes after it follow. */
  head: z.number().int().min(0),
});
export type TickerGenerationMarker = z.infer<typeof TickerGenerationMarker>;

/** Query-string values arrive as strings: an empty value counts as absent. */
const queryString = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

const queryInt = z.preprocess(
  (value) => (typeof value === 'string' && /^\d{1,4}$/.test(value) ? Number(value) : value),
  Limit,
);

const queryTypes = z.preprocess(
  (value) => (typeof value === 'string' ? value.split(',').map((t) => t.trim()) : value),
  Types,
);

const querySince = z.preprocess(
  (value) => (typeof value === 'string' && /^\d{1,16}$/.test(value) ? Number(value) : value),
  Since,
);

const queryGeneration = z.preprocess(
  (value) => (typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : value),
  Generation,
);

/** `GET /ticker/stream?portal=&lang=&types=a,b&region=&category=&limit=&since=&generation=` (SSE). */
export const TickerStreamQuery = z.object({
  portal: slug,
  lang: queryString(TickerLang).transform((lang) => lang ?? 'de'),
  types: queryString(queryTypes),
  region: queryString(Region),
  category: queryString(slug),
  limit: queryString(queryInt).transform((limit) => limit ?? TICKER_DEFAULT_LIMIT),
  since: querySince,
  generation: queryGeneration,
});
export type TickerStreamQuery = z.output<typeof TickerStreamQuery>;

/** `GET /ticker/snapshot?portal=&lang=&limit=` (and the same optional filters). */
export const TickerSnapshotQuery = TickerStreamQuery.omit({ since: true, generation: true });
export type TickerSnapshotQuery = z.output<typeof TickerSnapshotQuery>;
