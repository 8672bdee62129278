import { byId, svg } from './dom';
import { formatRate } from './format';

/** Samples the service keeps: the charts' width, so the newest sample is always at the right edge. */
const SAMPLES = 90;
const WIDTH = 300;
const BASELINE = 78;
const HEIGHT = 62;

/** One line of a chart: a value or null (not measured) per sample, oldest first. */
export interface Series {
  readonly name: string;
  readonly color: string;
  readonly values: readonly (number | null)[];
}

/** The polyline's points: the last value at the right edge, the largest value at full height. */
export function chartPoints(values: readonly (number | null)[], max: number): string {
  const step = WIDTH / (SAMPLES - 1);
  const points: string[] = [];
  values.forEach((v, i) => {
    if (typeof v !== 'number') return;
    const x = WIDTH - (values.length - 1 - i) * step;
    points.push(`${x.toFixed(1)},${(BASELINE - (v / max) * HEIGHT).toFixed(1)}`);
  });
  return points.join(' ');
}

/** Draws each series as a polyline into an SVG of the page; the chart's <title> stays for screen readers. */
export function drawChart(id: string, series: readonly Series[]): void {
  const chart = byId(id, SVGSVGElement);
  const title = chart.querySelector('title');
  const values = series.flatMap((s) => s.values).filter((v): v is number => typeof v === 'number');
  const max = Math.max(1, ...values);
  const parts: SVGElement[] = [
    svg('line', { x1: 0, y1: BASELINE, x2: WIDTH, y2: BASELINE, stroke: '#c8d0d9' }),
    svg('text', { x: 4, y: 12, 'font-size': 10, fill: '#5b6775' }, `max ${formatRate(max)}`),
  ];
  for (const s of series) {
    const points = chartPoints(s.values, max);
    if (!points) continue;
    parts.push(
      svg('polyline', {
        points,
        fill: 'none',
        stroke: s.color,
        'stroke-width': 2,
        'data-series': s.name,
      }),
    );
  }
  chart.replaceChildren(...(title ? [title] : []), ...parts);
}
