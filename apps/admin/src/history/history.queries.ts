import { eventCatalog, type EventType, slug, TICKER_MAX_LIMIT, TickerLang } from '@feedwerk/contracts';
import { z } from 'zod';

/** One page of the history browser holds at most this many events. */
export const MAX_PAGE = 500;
export const DEFAULT_PAGE = 100;

const EVENT_TYPES = Object.keys(eventCatalog) as [EventType, ...EventType[]];

/** A query-string value that must appear once (`?a=1&a=2` is refused, not silently picked). */
const single = <T extends z.ZodType<unknown, string>>(schema: T) =>
  z.string({ message: 'must be given once, as text' }).pipe(schema);

const position = single(
  z.string().regex(/^[0-9]{1,16}$/, { message: 'must be a global position (a whole number ≥ 0)' }),
)
  .transform(Number)
  .pipe(
    z.number().max(Number.MAX_SAFE_INTEGER, { message: 'must be a global position (a whole number ≥ 0)' }),
  );

const isoTime = single(
  z.iso.datetime({
    offset: true,
    message: 'must be an ISO 8601 time with a zone, e.g. 2026-11-27T10:32:00Z',
  }),
).transform((value) => new Date(value));

/** `type=A&type=B` or `type=A,B`: each must be a known event type. */
const types = z
  .union([z.string(), z.array(z.string())], { message: 'must be one or several event types' })
  .transform((value) => (Array.isArray(value) ? value : [value]).flatMap((part) => part.split(',')))
  .pipe(
    z
      .array(z.enum(EVENT_TYPES, { message: `must be one of ${EVENT_TYPES.join(', ')}` }))
      .min(1)
      .max(EVENT_TYPES.length),
  );

/** `<aggregate>:<id>`: what the store's stream ids look like (job:<uuid>, blog:<slug>, ...). */
export const StreamId = z
  .string({ message: 'must be a stream id' })
  .regex(/^[a-z][a-z-]{0,30}:[A-Za-z0-9._-]{1,100}$/, {
    message: 'must be a stream id like job:<uuid>, employer:<uuid>, candidate:<uuid> or blog:<slug>',
  });

const filterFields = {
  type: types.optional(),
  stream: single(StreamId).optional(),
  portal: single(slug).optional(),
  from: isoTime.optional(),
  to: isoTime.optional(),
  correlationId: single(
    z.string().regex(/^[A-Za-z0-9._:-]{1,100}$/, {
      message: 'must be a correlation id (1-100 of A-Z a-z 0-9 . _ : -)',
    }),
  ).optional(),
};

const timeRange = <T extends { from?: Date | undefined; to?: Date | undefined }>(q: T) =>
  q.from === undefined || q.to === undefined || q.from < q.to;
const timeRangeIssue = { message: 'must be after from', path: ['to'] };

export const EventFilterQuery = z.strictObject(filterFields).refine(timeRange, timeRangeIssue);
export type EventFilter = z.output<typeof EventFilterQuery>;

export const EventsQuery = z
  .strictObject({
    ...filterFields,
    after: position.optional(),
    before: position.optional(),
    limit: single(z.string().regex(/^[0-9]{1,4}$/, { message: 'must be a whole number' }))
      .transform(Number)
      .pipe(
        z
          .number()
          .min(1, { message: 'must be at least 1' })
          .max(MAX_PAGE, { message: `must be at most ${MAX_PAGE}` }),
      )
      .default(DEFAULT_PAGE),
  })
  .refine(timeRange, timeRangeIssue)
  .refine((q) => q.after === undefined || q.before === undefined, {
    message: 'give either after (oldest first) or before (newest first), not both',
    path: ['before'],
  });
export type EventsQuery = z.output<typeof EventsQuery>;

export const EXPORT_FORMATS = ['jsonl', 'csv'] as const;
export const ExportQuery = z
  .strictObject({
    ...filterFields,
    format: single(z.enum(EXPORT_FORMATS, { message: 'must be jsonl or csv' })).default('jsonl'),
  })
  .refine(timeRange, timeRangeIssue);
export type ExportQuery = z.output<typeof ExportQuery>;

export const StreamParams = z.strictObject({ streamId: StreamId });

export const StateQuery = z
  .strictObject({
    version: single(
      z.string().regex(/^[0-9]{1,9}$/, { message: 'must be a stream version (a whole number ≥ 1)' }),
    )
      .transform(Number)
      .pipe(z.number().min(1, { message: 'must be at least 1' }))
      .optional(),
    at: isoTime.optional(),
  })
  .refine((q) => q.version === undefined || q.at === undefined, {
    message: 'give either version or at, not both',
    path: ['at'],
  });
export type StateQuery = z.output<typeof StateQuery>;

export const BoxQuery = z.strictObject({
  at: isoTime,
  portal: single(slug),
  lang: single(TickerLang).default('de'),
  limit: single(z.string().regex(/^[0-9]{1,3}$/, { message: 'must be a whole number' }))
    .transform(Number)
    .pipe(
      z
        .number()
        .min(1, { message: 'must be at least 1' })
        .max(TICKER_MAX_LIMIT, { message: `must be at most ${TICKER_MAX_LIMIT}` }),
    )
    .default(8),
});
export type BoxQuery = z.output<typeof BoxQuery>;

/** The filter as the audit log records it: flat scalars only. */
export function filterParameters(filter: EventFilter): Record<string, string | null> {
  return {
    type: filter.type?.join(',') ?? null,
    stream: filter.stream ?? null,
    portal: filter.portal ?? null,
    from: filter.from?.toISOString() ?? null,
    to: filter.to?.toISOString() ?? null,
    correlationId: filter.correlationId ?? null,
  };
}
