import { getJson } from './api';
import { byId, fieldValue, h, say } from './dom';
import { actorText, isoFrom, json } from './format';
import { guarded } from './guarded';
import { type StateView, type StreamHistory } from './history-views';

/** A stream's full history in the stream table; its id also fills the state form. */
export async function showStream(streamId: string): Promise<void> {
  byId('stream-id', HTMLInputElement).value = streamId;
  byId('state-stream', HTMLInputElement).value = streamId;
  say('stream-status', 'Loading…');
  const history = await getJson<StreamHistory>(`/admin/streams/${encodeURIComponent(streamId)}`);
  byId('stream-table', HTMLTableElement).tBodies[0]?.replaceChildren(
    ...history.events.map((e) =>
      h(
        'tr',
        { 'data-version': e.streamPosition, 'data-type': e.type },
        h('td', null, e.streamPosition),
        h('td', null, h('time', { datetime: e.time }, e.time)),
        h('td', null, e.type),
        h('td', null, e.position),
        h('td', null, actorText(e.actor)),
        h('td', null, e.undecodable ? `undecodable: ${e.undecodable}` : json(e.data)),
      ),
    ),
  );
  say('stream-status', `${history.streamId}: version ${history.version}.`, 'ok');
  byId('stream-section', HTMLElement).scrollIntoView({ block: 'start' });
}

async function showState(): Promise<void> {
  const form = byId('state-form', HTMLFormElement);
  const streamId = fieldValue(form, 'streamId').trim();
  say('state-status', 'Folding…');
  const view = await getJson<StateView>(`/admin/streams/${encodeURIComponent(streamId)}/state`, {
    version: fieldValue(form, 'version'),
    at: isoFrom(fieldValue(form, 'at')),
  });
  byId('state-output', HTMLElement).textContent = JSON.stringify(view.state, null, 2);
  const last = view.lastEventAt ? ` (last event ${view.lastEventAt})` : '';
  say('state-status', `${view.aggregate} at version ${view.version} of ${view.currentVersion}${last}.`, 'ok');
}

/** A stream's history, and an aggregate's state at a version or a time. */
export function mountStream(): void {
  byId('stream-form', HTMLFormElement).addEventListener(
    'submit',
    guarded('stream-status', () => showStream(byId('stream-id', HTMLInputElement).value.trim())),
  );
  byId('state-form', HTMLFormElement).addEventListener('submit', guarded('state-status', showState));
}
