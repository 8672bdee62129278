import { type Status, STRINGS } from './i18n';
import { relativeTime } from './relative-time';
import { CSS } from './styles';
import { type Lang, type TickerItem } from './wire';

/** Creates an element with a class; text is only ever set through textContent. */
function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function adoptStyles(root: ShadowRoot): void {
  // A constructed stylesheet is CSSOM, not an inline <style>: a partner's CSP needs no style-src for it.
  if ('adoptedStyleSheets' in root && typeof CSSStyleSheet.prototype.replaceSync === 'function') {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
    return;
  }
  root.append(el('style', '', CSS));
}

interface Row {
  readonly li: HTMLLIElement;
  readonly icon: HTMLSpanElement;
  readonly text: HTMLSpanElement;
  readonly detail: HTMLSpanElement;
  readonly time: HTMLTimeElement;
  item: TickerItem;
}

/**
 * The box in a shadow root. Built from createElement/textContent only: no string of the feed ever
 * reaches innerHTML or an attribute that could run it. Markup and class names are those of the
 * server-rendered snapshot (`fw-ticker`, `fw-item`, `fw-icon`, `fw-text`, `fw-detail`, `fw-time`).
 */
export class TickerView {
  private readonly list: HTMLOListElement;
  private readonly empty: HTMLParagraphElement;
  private readonly status: HTMLParagraphElement;
  private readonly statusLabel: HTMLSpanElement;
  private readonly rows = new Map<string, Row>();
  private readonly strings;

  constructor(
    host: HTMLElement,
    private readonly lang: Lang,
  ) {
    this.strings = STRINGS[lang];
    const root = host.attachShadow({ mode: 'open' });
    adoptStyles(root);

    const section = el('section', 'fw-ticker');
    section.setAttribute('part', 'box');
    section.setAttribute('aria-label', this.strings.title);
    section.lang = lang;
    const header = el('header', 'fw-header');
    header.setAttribute('part', 'header');
    const title = el('h2', '', this.strings.title);
    title.setAttribute('part', 'title');
    this.status = el('p', 'fw-status');
    this.status.setAttribute('part', 'status');
    const dot = el('span', 'fw-dot');
    dot.setAttribute('aria-hidden', 'true');
    this.statusLabel = el('span', '');
    this.status.append(dot, this.statusLabel);
    header.append(title, this.status);

    this.list = el('ol', 'fw-list');
    this.list.setAttribute('part', 'list');
    this.list.setAttribute('aria-live', 'polite');
    this.list.setAttribute('aria-label', this.strings.title);
    this.empty = el('p', 'fw-empty', this.strings.loading);
    this.empty.setAttribute('part', 'empty');

    section.append(header, this.list, this.empty);
    root.append(section);
    this.setStatus('connecting');
  }

  setStatus(state: Status): void {
    this.status.dataset.state = state;
    this.statusLabel.textContent = this.strings.status[state];
  }

  /** Shows exactly `items` (newest first), reusing rows already shown. `highlight` marks new rows. */
  render(items: readonly TickerItem[], highlight: boolean): void {
    const keep = new Set(items.map((item) => item.id));
    for (const [id, row] of this.rows) {
      if (!keep.has(id)) {
        row.li.remove();
        this.rows.delete(id);
      }
    }
    const now = Date.now();
    items.forEach((item, index) => {
      let row = this.rows.get(item.id);
      if (!row) {
        row = this.createRow(item, now);
        if (highlight) {
          const li = row.li;
          li.classList.add('fw-new');
          li.addEventListener('animationend', () => li.classList.remove('fw-new'), { once: true });
        }
        this.rows.set(item.id, row);
      } else if (row.item !== item) {
        this.fill(row, item, now);
      }
      // Moved only when out of place, so unchanged rows are not announced again by the live region.
      const at = this.list.children[index] ?? null;
      if (at !== row.li) this.list.insertBefore(row.li, at);
    });
    this.empty.textContent = this.strings.empty;
    this.empty.hidden = items.length > 0;
  }

  /** Rewrites "vor 2 Minuten" as time passes. */
  refreshTimes(): void {
    const now = Date.now();
    for (const row of this.rows.values()) {
      const label = relativeTime(row.item.at, now, this.lang);
      if (row.time.textContent !== label) row.time.textContent = label;
    }
  }

  private createRow(item: TickerItem, now: number): Row {
    const li = el('li', 'fw-item');
    li.setAttribute('part', 'item');
    const icon = el('span', 'fw-icon');
    icon.setAttribute('aria-hidden', 'true');
    const body = el('span', 'fw-body');
    const text = el('span', 'fw-text');
    const detail = el('span', 'fw-detail');
    const time = el('time', 'fw-time');
    body.append(text, detail, time);
    li.append(icon, body);
    const row: Row = { li, icon, text, detail, time, item };
    this.fill(row, item, now);
    return row;
  }

  private fill(row: Row, item: TickerItem, now: number): void {
    row.item = item;
    row.li.dataset.id = item.id;
    row.li.dataset.kind = item.kind;
    row.icon.textContent = item.icon ?? '';
    row.text.textContent = item.text;
    row.detail.textContent = item.detail ?? '';
    row.detail.hidden = item.detail === null;
    row.time.dateTime = item.at;
    row.time.textContent = relativeTime(item.at, now, this.lang);
  }
}
