import type { AdminOpsSample, AdminOpsView } from '@feedwerk/contracts';
import { getJson, token } from './api';
import { byId, h, say, svg } from './dom';
import { drawChart, type Series } from './chart';
import { formatRate } from './format';

// The service samples every few seconds (METRICS_REFRESH_MS); polling faster only repeats a sample.
const POLL_MS = 2000;
const COLORS = ['#00586f', '#b3261e', '#2e7d32', '#6a1b9a', '#a05a00', '#37474f'] as const;
const colorAt = (i: number): string => COLORS[i % COLORS.length] ?? COLORS[0];

interface LagSeries extends Series {
  /** The lag in the newest sample; null when unknown. */
  readonly now: number | null;
  /** false: the group has lag and handles no batch (the service's readiness says the same). */
  readonly keepingUp: boolean;
}

/** The relay's lag, then one series per consumer group seen in any sample (a group may appear late). */
function lagSeries(samples: readonly AdminOpsSample[], last: AdminOpsSample): LagSeries[] {
  const groups = [...new Set(samples.flatMap((s) => s.consumers.map((c) => c.group)))].sort();
  const consumer = (sample: AdminOpsSample, group: string) => sample.consumers.find((c) => c.group === group);
  return [
    {
      name: 'relay (outbox)',
      color: colorAt(0),
      values: samples.map((s) => s.relayLag),
      now: last.relayLag,
      keepingUp: true,
    },
    ...groups.map((group, i) => ({
      name: group,
      color: colorAt(i + 1),
      values: samples.map((s) => consumer(s, group)?.lag ?? null),
      now: consumer(last, group)?.lag ?? null,
      keepingUp: consumer(last, group)?.keepingUp ?? true,
    })),
  ];
}

function swatch(color: string): SVGSVGElement {
  const el = svg('svg', { width: 12, height: 12, viewBox: '0 0 12 12', 'aria-hidden': 'true' });
  el.append(svg('circle', { cx: 6, cy: 6, r: 5, fill: color }));
  return el;
}

async function loadHealth(): Promise<void> {
  const { samples } = await getJson<AdminOpsView>('/admin/metrics');
  const last = samples.at(-1);
  if (!last) {
    say('health-status', 'No measurement yet; the service samples every few seconds.', 'info');
    return;
  }
  const lags = lagSeries(samples, last);
  drawChart('health-events-chart', [
    { name: 'events/s', color: colorAt(0), values: samples.map((s) => s.eventsPerSecond) },
  ]);
  drawChart('health-lag-chart', lags);
  byId('health-events-now', HTMLElement).textContent = `${formatRate(last.eventsPerSecond)} events/s`;
  const total = lags.reduce((sum, s) => sum + (s.now ?? 0), 0);
  byId('health-lag-now', HTMLElement).textContent = `${total} in total`;
  byId('health-consumers', HTMLUListElement).replaceChildren(
    ...lags.map((s) =>
      h(
        'li',
        { 'data-series': s.name },
        swatch(s.color),
        `${s.name}: ${s.now ?? 'unknown'}`,
        s.keepingUp ? '' : ' — not keeping up',
      ),
    ),
  );
  const problems = [
    ...(last.transportUp === false ? ['Kafka does not answer'] : []),
    ...lags.filter((s) => !s.keepingUp).map((s) => `${s.name} is not keeping up`),
  ];
  const at = new Date(last.at).toLocaleTimeString();
  say(
    'health-status',
    problems.length ? `Unhealthy (${at}): ${problems.join('; ')}.` : `Healthy (${at}).`,
    problems.length ? 'error' : 'ok',
  );
}

let timer: number | undefined;

/** Loads the health now and again every POLL_MS while a token is set; one timer at a time. */
function pollHealth(): void {
  window.clearTimeout(timer);
  if (!token()) return;
  loadHealth()
    .catch((error: unknown) =>
      say('health-status', error instanceof Error ? error.message : String(error), 'error'),
    )
    .finally(() => {
      window.clearTimeout(timer);
      if (token()) timer = window.setTimeout(pollHealth, POLL_MS);
    });
}

/** The feed's health, live: events/s and the lag of the relay and of every consumer group. */
export function mountHealth(): void {
  // Registered after the token form's own handlers: a new or forgotten token starts or stops the polling.
  byId('token-form', HTMLFormElement).addEventListener('submit', pollHealth);
  byId('token-forget', HTMLButtonElement).addEventListener('click', pollHealth);
  pollHealth();
}
