import type { ProjectionView, RebuildStatus, RebuildView } from '@feedwerk/contracts';
import { getJson, postJson } from './api';
import { button, byId, h, say } from './dom';
import { guarded } from './guarded';
import { cancelButton, poller, progressOf } from './jobs';

const RUNNING: readonly RebuildStatus[] = ['building', 'switching'];
const isRunning = (rebuild: RebuildView | null): rebuild is RebuildView =>
  rebuild !== null && RUNNING.includes(rebuild.status);

const STATUS = 'projections-status';

function rebuildOf(p: ProjectionView, rebuild: RebuildView): HTMLDivElement {
  return h(
    'div',
    { 'data-rebuild': rebuild.id },
    h('p', null, `Rebuild ${rebuild.id} of generation ${rebuild.generation}, by ${rebuild.requestedBy}`),
    progressOf(rebuild),
    rebuild.error ? h('p', { class: 'error' }, rebuild.error) : null,
    isRunning(rebuild)
      ? cancelButton(
          `Cancel rebuild of ${p.name}`,
          STATUS,
          `/admin/rebuilds/${encodeURIComponent(rebuild.id)}`,
          `rebuild ${rebuild.id}`,
          loadProjections,
        )
      : null,
  );
}

const rebuildButton = (p: ProjectionView): HTMLButtonElement =>
  button(
    `Rebuild ${p.name}`,
    guarded(STATUS, async () => {
      const started = await postJson<RebuildView>(
        `/admin/projections/${encodeURIComponent(p.name)}/rebuilds`,
      );
      say(STATUS, `Rebuild ${started.id} of ${p.name} started.`, 'ok');
      await loadProjections();
    }),
  );

const projectionOf = (p: ProjectionView): HTMLElement =>
  h(
    'article',
    { class: 'job', 'data-projection': p.name },
    h('h3', null, `${p.name} (${p.version})`),
    h('p', null, `Live generation ${p.liveGeneration} since ${p.liveSince}.`),
    p.rebuild ? rebuildOf(p, p.rebuild) : rebuildButton(p),
  );

const pollProjections = poller(() => loadProjections());

/** Every projection, its live generation and its rebuild, polled while a rebuild runs. */
async function loadProjections(): Promise<void> {
  const projections = await getJson<readonly ProjectionView[]>('/admin/projections');
  byId('projections-list', HTMLElement).replaceChildren(...projections.map(projectionOf));
  const running = projections.some((p) => isRunning(p.rebuild));
  pollProjections(running);
  if (!running) say(STATUS, `${projections.length} projection(s).`, 'ok');
}

/** Projections and their blue/green rebuilds: start one, follow its progress, cancel it. */
export function mountProjections(): void {
  byId('projections-refresh', HTMLButtonElement).addEventListener('click', guarded(STATUS, loadProjections));
}
