import type { AdminJobProgress } from '@feedwerk/contracts';
import { request } from './api';
import { button, h, say } from './dom';
import { guarded } from './guarded';

/** While a rebuild or a republish runs, its list is reloaded this often. */
const POLL_MS = 1000;

/** A long job (rebuild, republish) as the API shows it: what its progress line needs. */
export interface LongJob {
  readonly id: string;
  readonly status: string;
  readonly progress: AdminJobProgress;
}

/** A progress bar and its line: "done/total events · rate · ETA · status". */
export function progressOf(job: LongJob): HTMLDivElement {
  const p = job.progress;
  const total = Math.max(p.total, p.done, 1);
  const eta = p.etaSeconds === null ? '?' : `${Math.round(p.etaSeconds)} s`;
  return h(
    'div',
    { class: 'progress' },
    h('progress', { max: total, value: p.done, 'aria-label': `progress of ${job.id}` }),
    h(
      'span',
      null,
      `${p.done}/${p.total} events · ${Math.round(p.eventsPerSecond)} ev/s · ETA ${eta} · ${job.status}`,
    ),
  );
}

/**
 * Polls a list while something in it runs: one timer per list, replaced on every load (a click and a
 * poll never run two timers), stopped when nothing runs any more. A failed poll ends the polling; the
 * admin's next click shows the error.
 */
export function poller(reload: () => Promise<void>): (running: boolean) => void {
  let timer: number | undefined;
  return (running) => {
    window.clearTimeout(timer);
    if (running) timer = window.setTimeout(() => void reload().catch(() => undefined), POLL_MS);
  };
}

/** A button that cancels a running job (DELETE on its route), says so and reloads the list. */
export function cancelButton(
  label: string,
  statusId: string,
  path: string,
  what: string,
  reload: () => Promise<void>,
): HTMLButtonElement {
  return button(
    label,
    guarded(statusId, async () => {
      await request('DELETE', path);
      say(statusId, `Cancelling ${what}.`, 'ok');
      await reload();
    }),
    { class: 'secondary' },
  );
}
