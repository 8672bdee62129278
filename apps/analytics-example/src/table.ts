import { type CountRow } from './counts';

const escape = (value: string): string => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The counts as a plain-text table for the terminal. */
export function textTable(rows: readonly CountRow[]): string {
  const head = ['hour (UTC)', 'type', 'portal', 'region', 'count'];
  const lines = rows.map((r) => [r.hour, r.type, r.portal, r.region, String(r.count)]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const format = (cells: string[]) =>
    cells.map((c, i) => (i === 4 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join('  ');
  return [format(head), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(format)].join('\n');
}

/** The counts as a small self-refreshing HTML page (no scripts). */
export function htmlTable(rows: readonly CountRow[]): string {
  const body = rows
    .map(
      (r) =>
        `<tr><td>${escape(r.hour)}</td><td>${escape(r.type)}</td><td>${escape(r.portal)}</td>` +
        `<td>${escape(r.region)}</td><td class="n">${r.count}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="de"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
<title>Feedwerk analytics example</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}
td,th{padding:.25rem .75rem;border-bottom:1px solid #ddd;text-align:left}.n{text-align:right}</style></head>
<body><h1>Public events per hour, type, portal and region</h1>
<table><thead><tr><th>hour (UTC)</th><th>type</th><th>portal</th><th>region</th><th class="n">count</th></tr></thead>
<tbody>
${body}
</tbody></table></body></html>
`;
}
