import { z } from 'zod';
import { Region } from './germany';
import { slug } from './text';
import { TICKER_KINDS, TickerKind, TickerLang } from './ticker-lines';
import { type TickerChangeV1, type TickerItemV1 } from './ticker';

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
