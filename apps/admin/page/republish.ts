import type { RepublishList, RepublishRequest, RepublishView } from '@feedwerk/contracts';
import { getJson, postJson } from './api';
import { byId, fieldValue, h, say } from './dom';
import { guarded } from './guarded';
import { cancelButton, poller, progressOf } from './jobs';

const STATUS = 'republish-status';

const republishOf = (r: RepublishView): HTMLElement =>
  h(
    'article',
    { class: 'job', 'data-republish': r.id },
    h('h3', null, `Positions ${r.fromPosition}–${r.toPosition}`),
    h(
      'p',
      null,
      `${r.categories ? r.categories.join(', ') : 'all categories'} · ${r.ratePerSecond}/s · by ${r.requestedBy} at ${r.requestedAt}`,
    ),
    progressOf(r),
    r.error ? h('p', { class: 'error' }, r.error) : null,
    r.status === 'running'
      ? cancelButton(
          `Cancel republish ${r.fromPosition}–${r.toPosition}`,
          STATUS,
          `/admin/republishes/${encodeURIComponent(r.id)}`,
          `republish ${r.id}`,
          loadRepublishes,
        )
      : null,
  );

const pollRepublishes = poller(() => loadRepublishes());

/** The republishes, newest first, polled while one runs. */
async function loadRepublishes(): Promise<void> {
  const { items } = await getJson<RepublishList>('/admin/republishes');
  byId('republish-list', HTMLElement).replaceChildren(...items.map(republishOf));
  pollRepublishes(items.some((r) => r.status === 'running'));
}

type Category = NonNullable<RepublishRequest['categories']>[number];

async function startRepublish(): Promise<void> {
  const form = byId('republish-form', HTMLFormElement);
  // The checkboxes' values are the categories the API accepts (index.html); the API validates them.
  const categories = Array.from(
    form.querySelectorAll<HTMLInputElement>('input[name="categories"]:checked'),
    (c) => c.value as Category,
  );
  const body: RepublishRequest = {
    fromPosition: Number(fieldValue(form, 'fromPosition')),
    toPosition: Number(fieldValue(form, 'toPosition')),
    ratePerSecond: Number(fieldValue(form, 'ratePerSecond')),
    ...(categories.length ? { categories } : {}),
  };
  const started = await postJson<RepublishView>('/admin/republishes', body);
  say(STATUS, `Republish ${started.id} started.`, 'ok');
  await loadRepublishes();
}

/** Republishing a range of history to Kafka (analytics backfill): start, follow, cancel. */
export function mountRepublish(): void {
  byId('republish-refresh', HTMLButtonElement).addEventListener('click', guarded(STATUS, loadRepublishes));
  byId('republish-form', HTMLFormElement).addEventListener('submit', guarded(STATUS, startRepublish));
}
