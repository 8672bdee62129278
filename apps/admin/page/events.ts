import { getJson, type Query, request } from './api';
import { button, byId, fieldValue, h, say } from './dom';
import { actorText, isoFrom, json } from './format';
import { guarded } from './guarded';
import { type EventPage, type EventView, type PageCursor } from './history-views';
import { showStream } from './stream';

/** The filter of the events form, shared by the list and the export. */
function eventFilter(): Query {
  const form = byId('events-form', HTMLFormElement);
  const types = Array.from(byId('events-type', HTMLSelectElement).selectedOptions, (o) => o.value);
  return {
    type: types.length ? types : undefined,
    stream: fieldValue(form, 'stream').trim(),
    portal: fieldValue(form, 'portal').trim(),
    correlationId: fieldValue(form, 'correlationId').trim(),
    from: isoFrom(fieldValue(form, 'from')),
    to: isoFrom(fieldValue(form, 'to')),
  };
}

/** The stream id as a link-like button that opens the stream's history. */
const streamButton = (streamId: string): HTMLButtonElement =>
  button(
    streamId,
    guarded('stream-status', () => showStream(streamId)),
    { class: 'link' },
  );

const eventRow = (e: EventView): HTMLTableRowElement =>
  h(
    'tr',
    { 'data-position': e.position, 'data-type': e.type },
    h('td', null, e.position),
    h('td', null, h('time', { datetime: e.time }, e.time)),
    h('td', null, e.type),
    h('td', null, streamButton(e.streamId), `@${e.streamPosition}`),
    h('td', null, actorText(e.actor)),
    h('td', null, e.correlationId),
    h('td', null, e.undecodable ? `undecodable: ${e.undecodable}` : json(e.data)),
  );

/** Where the next page starts; null on the last page. */
let nextCursor: PageCursor | null = null;

async function loadEvents(cursor: PageCursor | null): Promise<void> {
  const form = byId('events-form', HTMLFormElement);
  const newestFirst = fieldValue(form, 'order') === 'desc';
  const start: Query = cursor ?? (newestFirst ? { before: Number.MAX_SAFE_INTEGER } : {});
  say('events-status', 'Loading…');
  const page = await getJson<EventPage>('/admin/events', {
    ...eventFilter(),
    limit: fieldValue(form, 'limit'),
    ...start,
  });
  byId('events-table', HTMLTableElement).tBodies[0]?.replaceChildren(...page.events.map(eventRow));
  nextCursor = page.next;
  byId('events-next', HTMLButtonElement).disabled = !nextCursor;
  const more = nextCursor ? ', more on the next page' : '';
  say('events-status', `${page.events.length} event(s)${more}.`, 'ok');
}

/** The export is streamed by the server; the browser saves it as a file (the action is audited). */
async function exportEvents(format: 'jsonl' | 'csv'): Promise<void> {
  say('events-status', `Exporting (${format})…`);
  const response = await request('GET', '/admin/events/export', { ...eventFilter(), format });
  const blob = await response.blob();
  const disposition = response.headers.get('content-disposition') ?? '';
  const name = /filename="([^"]+)"/.exec(disposition)?.[1] ?? `feedwerk-events.${format}`;
  const url = URL.createObjectURL(blob);
  const link = h('a', { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
  say('events-status', `Exported ${name} (${blob.size} bytes; recorded as an admin action).`, 'ok');
}

/** The event list: filters, pages in either direction, exports. */
export function mountEvents(): void {
  byId('events-form', HTMLFormElement).addEventListener(
    'submit',
    guarded('events-status', () => loadEvents(null)),
  );
  byId('events-next', HTMLButtonElement).addEventListener(
    'click',
    guarded('events-status', () => loadEvents(nextCursor)),
  );
  byId('events-export-jsonl', HTMLButtonElement).addEventListener(
    'click',
    guarded('events-status', () => exportEvents('jsonl')),
  );
  byId('events-export-csv', HTMLButtonElement).addEventListener(
    'click',
    guarded('events-status', () => exportEvents('csv')),
  );
}
