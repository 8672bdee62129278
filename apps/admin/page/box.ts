import { getJson } from './api';
import { byId, fieldValue, h, say } from './dom';
import { isoFrom, nowLocal } from './format';
import { guarded } from './guarded';
import { type BoxView } from './history-views';

async function showBox(): Promise<void> {
  const form = byId('box-form', HTMLFormElement);
  say('box-status', 'Folding the history…');
  const box = await getJson<BoxView>('/admin/ticker/box', {
    at: isoFrom(fieldValue(form, 'at')),
    portal: fieldValue(form, 'portal').trim(),
    lang: fieldValue(form, 'lang'),
    limit: fieldValue(form, 'limit'),
  });
  byId('box-items', HTMLOListElement).replaceChildren(
    ...box.items.map((item) =>
      h(
        'li',
        { 'data-kind': item.kind, 'data-id': item.id },
        h('span', { class: 'icon', 'aria-hidden': 'true' }, item.icon ?? ''),
        h('span', { class: 'text' }, item.text),
        item.detail ? h('span', { class: 'detail' }, item.detail) : null,
        h('time', { datetime: item.at }, item.at),
      ),
    ),
  );
  say(
    'box-status',
    `${box.portal} at ${box.at}: ${box.items.length} line(s), ${box.eventsFolded} event(s) folded.`,
    'ok',
  );
}

/** The ticker box as it was at a time (now, to the next second, until the admin picks another). */
export function mountBox(): void {
  byId('box-at', HTMLInputElement).value = nowLocal();
  byId('box-form', HTMLFormElement).addEventListener('submit', guarded('box-status', showBox));
}
