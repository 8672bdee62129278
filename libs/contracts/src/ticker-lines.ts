import { z } from 'zod';

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
