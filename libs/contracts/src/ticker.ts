import { z } from 'zod';
import { Region } from './germany';
import { slug } from './text';

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
export const TickerKind = z.enum(TICKER_KINDS);
export type TickerKind = z.infer<typeof TickerKind>;

export const TICKER_LANGS = ['de', 'en'] as const;
export const TickerLang = z.enum(TICKER_LANGS);
export type TickerLang = z.infer<typeof TickerLang>;

interface Line {
  readonly icon: string | null;
  /** The line for one item, and for `count` items where the kind aggregates (count > 1). */
  readonly de: (count: number) => string;
  readonly en: (count: number) => string;
}

const plural = (count: number, one: string, many: string) => (count === 1 ? one : `${count} ${many}`);

/** The product's box, line by line (de is the default, en on request). */
export const TICKER_LINES: Readonly<Record<TickerKind, Line>> = {
  'job.posted': {
    icon: '➟',
    de: () => 'Neue Stellenanzeige eingestellt',
    en: () => 'New job ad posted',
  },
  'job.updated': {
    icon: '✓',
    de: () => 'Stellenanzeige wurde geupdatet',
    en: () => 'Job ad updated',
  },
  'jobs.refreshed': {
    icon: '↻',
    de: (n) => (n === 1 ? 'Stellenanzeige wurde aktualisiert' : 'Stellenanzeigen wurden aktualisiert'),
    en: (n) => (n === 1 ? 'Job ad refreshed' : 'Job ads refreshed'),
  },
  'jobs.burst': {
    icon: null,
    de: () => 'Neue Jobangebote verfügbar',
    en: () => 'New job offers available',
  },
  'job.imported': {
    icon: null,
    de: () => 'Eine neue Jobanzeige',
    en: () => 'A new job ad',
  },
  'blog.published': {
    icon: '✉',
    de: () => 'Neuer Blog Beitrag',
    en: () => 'New blog post',
  },
  'cv.uploaded': {
    icon: null,
    de: () => 'Neuer Lebenslauf hochgeladen',
    en: () => 'New CV uploaded',
  },
  'employer.registered': {
    icon: null,
    de: () => 'Neue Anmeldung Arbeitgeber',
    en: () => 'New employer sign-up',
  },
};

/** "1 neue Stellenanzeige" / "12 neue Stellenanzeigen": the count line shown under aggregated items. */
export const countLine = (count: number, lang: TickerLang): string =>
  lang === 'de'
    ? plural(count, '1 neue Stellenanzeige', 'neue Stellenanzeigen')
    : plural(count, '1 new job ad', 'new job ads');

/**
 * A ticker item as stored by the activity projection: language-neutral and free of personal data
 * by construction (only these fields exist). `position` is the feed position: gapless, strictly
 * increasing in commit order, and what clients resume from.
 */
export const TickerRecord = z.strictObject({
  id: z.uuid(),
  position: z.number().int().positive(),
  kind: TickerKind,
  /** null: a site-wide item shown on every portal (e.g. an employer sign-up). */
  portal: slug.nullable(),
  region: Region.nullable(),
  category: slug.nullable(),
  count: z.number().int().positive(),
  at: z.iso.datetime({ offset: true }),
});
export type TickerRecord = z.infer<typeof TickerRecord>;

/** What a socket client receives (`ticker.item`) and what the SSE stream carries. Version 1. */
export interface TickerItemV1 {
  readonly id: string;
  readonly position: number;
  readonly kind: TickerKind;
  readonly icon: string | null;
  /** The line as shown, e.g. "Neue Stellenanzeige eingestellt". Plain text: render as text, never HTML. */
  readonly text: string;
  readonly count: number;
  readonly portal: string | null;
  readonly region: string | null;
  readonly category: string | null;
  readonly at: string;
  readonly lang: TickerLang;
}

export function renderTickerItem(record: TickerRecord, lang: TickerLang): TickerItemV1 {
  const line = TICKER_LINES[record.kind];
  return {
    id: record.id,
    position: record.position,
    kind: record.kind,
    icon: line.icon,
    text: line[lang](record.count),
    count: record.count,
    portal: record.portal,
    region: record.region,
    category: record.category,
    at: record.at,
    lang,
  };
}

/** The socket.io protocol of namespace `/ticker`. */
export const TickerProtocol = {
  namespace: '/ticker',
  subscribe: 'ticker.subscribe',
  item: 'ticker.item',
  resync: 'ticker.resync',
} as const;

export const TickerSubscribeRequest = z.strictObject({
  portal: slug,
  lang: TickerLang.default('de'),
});
export type TickerSubscribeRequest = z.infer<typeof TickerSubscribeRequest>;

export type TickerSubscribeAck =
  | { readonly ok: true; readonly items: readonly TickerItemV1[]; readonly head: number }
  | { readonly ok: false; readonly error: string };
