import { z } from 'zod';
import { Region } from './germany';
import { slug } from './text';
import { TickerKind, type TickerLang, TICKER_LINES } from './ticker-lines';

/**
 * Ticker protocol v1: the box "Neueste Aktivitäten" as a log of changes with gapless feed
 * positions. A change upserts an item (new, or updated in place: a burst that grew, a count that
 * changed) or retracts one (a closed job's item withdrawn). Clients keep a map id → item and apply
 * changes in position order. Binding for the ticker app and the widget.
 */

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

/**
 * What a subscriber is served first: the current box, or exactly the changes after its position.
 * `generation` is the live generation the answer was read from: positions are only comparable
 * within one generation (a rebuild renumbers the feed), so a client keeps it with its position.
 * The read model answers it with records, the ticker renders it for a language.
 */
export type FeedOpeningOf<TItem, TChange> =
  | {
      readonly mode: 'snapshot';
      readonly items: readonly TItem[];
      readonly head: number;
      readonly generation: number;
    }
  | {
      readonly mode: 'changes';
      readonly changes: readonly TChange[];
      readonly head: number;
      readonly generation: number;
    };
