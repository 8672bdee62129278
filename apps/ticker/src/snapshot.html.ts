import { TICKER_TITLE, type TickerItemV1, type TickerLang } from '@feedwerk/contracts';

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML element content and quoted attribute values. */
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);

const UNITS: readonly [number, Intl.RelativeTimeFormatUnit, number][] = [
  [45 * 60, 'minute', 60],
  [22 * 3600, 'hour', 3600],
  [26 * 86400, 'day', 86400],
  [320 * 86400, 'month', 30.44 * 86400],
  [Infinity, 'year', 365.25 * 86400],
];
const JUST_NOW: Readonly<Record<TickerLang, string>> = { de: 'gerade eben', en: 'just now' };

/** "vor 2 Minuten" / "2 minutes ago", as the widget shows it. */
export function relativeTime(iso: string, now: number, lang: TickerLang): string {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return '';
  const seconds = Math.max(0, (now - at) / 1000);
  if (seconds < 45) return JUST_NOW[lang];
  const format = new Intl.RelativeTimeFormat(lang, { numeric: 'auto' });
  for (const [limit, unit, size] of UNITS) {
    if (seconds < limit) return format.format(-Math.max(1, Math.round(seconds / size)), unit);
  }
  return '';
}

/**
 * The box as an HTML fragment (visitors without JavaScript, search engines): the same markup the
 * widget builds. Every piece of text is escaped; nothing from an item is ever markup.
 */
export function renderSnapshotHtml(items: readonly TickerItemV1[], lang: TickerLang, now: number): string {
  const title = escapeHtml(TICKER_TITLE[lang]);
  const rows = items.map((item) => {
    const icon = item.icon === null ? '' : escapeHtml(item.icon);
    const detail = item.detail === null ? '' : `<span class="fw-detail">${escapeHtml(item.detail)}</span>`;
    return (
      `<li class="fw-item" data-kind="${escapeHtml(item.kind)}">` +
      `<span class="fw-icon" aria-hidden="true">${icon}</span>` +
      `<span class="fw-text">${escapeHtml(item.text)}</span>${detail}` +
      `<time class="fw-time" datetime="${escapeHtml(item.at)}">${escapeHtml(relativeTime(item.at, now, lang))}</time>` +
      `</li>`
    );
  });
  return `<section class="fw-ticker" aria-label="${title}"><h2>${title}</h2><ol>${rows.join('')}</ol></section>`;
}
