import { type Lang } from './wire';

const JUST_NOW: Readonly<Record<Lang, string>> = { de: 'gerade eben', en: 'just now' };

// [below this many seconds, unit, seconds per unit]
const UNITS: readonly (readonly [number, Intl.RelativeTimeFormatUnit, number])[] = [
  [45 * 60, 'minute', 60],
  [22 * 3600, 'hour', 3600],
  [26 * 86400, 'day', 86400],
  [320 * 86400, 'month', 30.44 * 86400],
  [Infinity, 'year', 365.25 * 86400],
];

const formats = new Map<Lang, Intl.RelativeTimeFormat>();

/** "gerade eben" below 45 s, then "vor 2 Minuten", "vor 3 Stunden", "gestern", ... (or English). */
export function relativeTime(iso: string, now: number, lang: Lang): string {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return '';
  // A server clock slightly ahead of the visitor's must not read "in 1 Minute".
  const seconds = Math.max(0, (now - at) / 1000);
  if (seconds < 45) return JUST_NOW[lang];
  let format = formats.get(lang);
  if (!format) {
    format = new Intl.RelativeTimeFormat(lang, { numeric: 'auto' });
    formats.set(lang, format);
  }
  for (const [limit, unit, size] of UNITS) {
    if (seconds < limit) return format.format(-Math.max(1, Math.round(seconds / size)), unit);
  }
  return '';
}
