// The admin page: a static shell (index.html) and this script, no build step. It calls the admin
// HTTP API with the token the admin pasted (kept in sessionStorage: this tab only, gone with it).
// Everything that comes from the server is rendered as text nodes, never as HTML; the page's CSP
// enforces Trusted Types, so an HTML sink would throw rather than render.
(function () {
  'use strict';

  const TOKEN_KEY = 'feedwerk.admin.token';
  const POLL_MS = 1000;
  const RUNNING_REBUILD = ['building', 'switching'];

  const byId = (id) => {
    const el = document.getElementById(id);
    if (!el) throw new Error(`admin page: element #${id} is missing`);
    return el;
  };

  /** An element with attributes and children; strings become text nodes. */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === 'onclick') el.addEventListener('click', value);
      else if (name in el && name !== 'list') el[name] = value;
      else el.setAttribute(name, String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined) continue;
      el.append(
        typeof child === 'string' || typeof child === 'number'
          ? document.createTextNode(String(child))
          : child,
      );
    }
    return el;
  }

  const token = () => sessionStorage.getItem(TOKEN_KEY) || '';

  function say(id, text, kind) {
    const el = byId(id);
    el.textContent = text;
    el.dataset.kind = kind || 'info';
  }

  /** "400 Bad Request: detail" plus "path: message" per field, from a problem+json answer. */
  function describeProblem(status, problem) {
    const head = `${status} ${problem && problem.title ? problem.title : ''}: ${problem && problem.detail ? problem.detail : 'no details'}`;
    const fields =
      problem && Array.isArray(problem.errors) ? problem.errors.map((e) => `${e.path}: ${e.message}`) : [];
    return [head, ...fields].join(' — ');
  }

  class ApiError extends Error {}

  async function request(method, path, query, body) {
    if (!token()) throw new ApiError('Paste an admin token first.');
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query || {})) {
      if (value === undefined || value === null || value === '') continue;
      if (Array.isArray(value)) value.forEach((v) => params.append(key, v));
      else params.append(key, String(value));
    }
    const url = `${path}${params.toString() ? `?${params}` : ''}`;
    let response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${token()}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch {
      throw new ApiError('The service is not reachable.');
    }
    if (!response.ok) {
      let problem = null;
      try {
        problem = await response.json();
      } catch {
        problem = null;
      }
      throw new ApiError(describeProblem(response.status, problem));
    }
    return response;
  }

  const getJson = async (path, query) => (await request('GET', path, query)).json();

  /** Runs an action, showing its error (never a stack) in the section's status line. */
  function guarded(statusId, action) {
    return async (event) => {
      if (event) event.preventDefault();
      try {
        await action();
      } catch (error) {
        say(statusId, error instanceof Error ? error.message : String(error), 'error');
      }
    };
  }

  /** A datetime-local value (the admin's zone) as an ISO time with zone, or undefined. */
  const isoFrom = (value) => (value ? new Date(value).toISOString() : undefined);
  /** The next full second in the admin's zone: the input has seconds, and "now" must include this one. */
  const nowLocal = () => {
    const now = new Date();
    now.setSeconds(now.getSeconds() + 1);
    now.setMinutes(now.getMinutes() - now.getTimezoneOffset());
    return now.toISOString().slice(0, 19);
  };

  // Focusable: a long payload scrolls, and keyboard users must be able to scroll it too.
  const json = (value) => h('pre', { className: 'json', tabIndex: 0 }, JSON.stringify(value, null, 2));
  const actorText = (actor) => (actor ? `${actor.kind}${actor.id ? ` ${actor.id}` : ''}` : '');

  // ------------------------------------------------------------------ token

  function showTokenState() {
    say('token-status', token() ? 'A token is set for this tab.' : 'No token set.', token() ? 'ok' : 'info');
  }
  byId('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = byId('token');
    const value = input.value.trim();
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    input.value = '';
    showTokenState();
  });
  byId('token-forget').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    showTokenState();
  });
  showTokenState();

  // ------------------------------------------------------------------ events

  let nextCursor = null;

  function eventFilter() {
    const form = byId('events-form');
    const types = Array.from(byId('events-type').selectedOptions, (o) => o.value);
    return {
      type: types.length ? types : undefined,
      stream: form.elements.stream.value.trim(),
      portal: form.elements.portal.value.trim(),
      correlationId: form.elements.correlationId.value.trim(),
      from: isoFrom(form.elements.from.value),
      to: isoFrom(form.elements.to.value),
    };
  }

  function streamButton(streamId) {
    return h(
      'button',
      { type: 'button', className: 'link', onclick: () => void showStream(streamId) },
      streamId,
    );
  }

  async function loadEvents(cursor) {
    const form = byId('events-form');
    const newestFirst = form.elements.order.value === 'desc';
    const query = { ...eventFilter(), limit: form.elements.limit.value };
    if (cursor) Object.assign(query, cursor);
    else if (newestFirst) query.before = Number.MAX_SAFE_INTEGER;
    say('events-status', 'Loading…');
    const page = await getJson('/admin/events', query);
    const body = byId('events-table').tBodies[0];
    body.replaceChildren(
      ...page.events.map((e) =>
        h(
          'tr',
          { 'data-position': e.position, 'data-type': e.type },
          h('td', null, e.position),
          h('td', null, h('time', { dateTime: e.time }, e.time)),
          h('td', null, e.type),
          h('td', null, streamButton(e.streamId), `@${e.streamPosition}`),
          h('td', null, actorText(e.actor)),
          h('td', null, e.correlationId),
          h('td', null, e.undecodable ? `undecodable: ${e.undecodable}` : json(e.data)),
        ),
      ),
    );
    nextCursor = page.next;
    byId('events-next').disabled = !nextCursor;
    say(
      'events-status',
      `${page.events.length} event(s)${nextCursor ? ', more on the next page' : ''}.`,
      'ok',
    );
  }

  byId('events-form').addEventListener(
    'submit',
    guarded('events-status', () => loadEvents(null)),
  );
  byId('events-next').addEventListener(
    'click',
    guarded('events-status', () => loadEvents(nextCursor)),
  );

  /** The export is streamed by the server; the browser saves it as a file (the action is audited). */
  async function exportEvents(format) {
    say('events-status', `Exporting (${format})…`);
    const response = await request('GET', '/admin/events/export', { ...eventFilter(), format });
    const blob = await response.blob();
    const disposition = response.headers.get('content-disposition') || '';
    const name = /filename="([^"]+)"/.exec(disposition)?.[1] || `feedwerk-events.${format}`;
    const url = URL.createObjectURL(blob);
    const link = h('a', { href: url, download: name, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    say('events-status', `Exported ${name} (${blob.size} bytes; recorded as an admin action).`, 'ok');
  }
  byId('events-export-jsonl').addEventListener(
    'click',
    guarded('events-status', () => exportEvents('jsonl')),
  );
  byId('events-export-csv').addEventListener(
    'click',
    guarded('events-status', () => exportEvents('csv')),
  );

  // ------------------------------------------------------------------ stream and state

  async function showStream(streamId) {
    byId('stream-id').value = streamId;
    byId('state-stream').value = streamId;
    say('stream-status', 'Loading…');
    const history = await getJson(`/admin/streams/${encodeURIComponent(streamId)}`);
    byId('stream-table').tBodies[0].replaceChildren(
      ...history.events.map((e) =>
        h(
          'tr',
          { 'data-version': e.streamPosition, 'data-type': e.type },
          h('td', null, e.streamPosition),
          h('td', null, h('time', { dateTime: e.time }, e.time)),
          h('td', null, e.type),
          h('td', null, e.position),
          h('td', null, actorText(e.actor)),
          h('td', null, e.undecodable ? `undecodable: ${e.undecodable}` : json(e.data)),
        ),
      ),
    );
    say('stream-status', `${history.streamId}: version ${history.version}.`, 'ok');
    byId('stream-section').scrollIntoView({ block: 'start' });
  }
  byId('stream-form').addEventListener(
    'submit',
    guarded('stream-status', () => showStream(byId('stream-id').value.trim())),
  );

  byId('state-form').addEventListener(
    'submit',
    guarded('state-status', async () => {
      const form = byId('state-form');
      const streamId = form.elements.streamId.value.trim();
      say('state-status', 'Folding…');
      const view = await getJson(`/admin/streams/${encodeURIComponent(streamId)}/state`, {
        version: form.elements.version.value,
        at: isoFrom(form.elements.at.value),
      });
      byId('state-output').textContent = JSON.stringify(view.state, null, 2);
      say(
        'state-status',
        `${view.aggregate} at version ${view.version} of ${view.currentVersion}${view.lastEventAt ? ` (last event ${view.lastEventAt})` : ''}.`,
        'ok',
      );
    }),
  );

  // ------------------------------------------------------------------ box at a time

  byId('box-at').value = nowLocal();
  byId('box-form').addEventListener(
    'submit',
    guarded('box-status', async () => {
      const form = byId('box-form');
      say('box-status', 'Folding the history…');
      const box = await getJson('/admin/ticker/box', {
        at: isoFrom(form.elements.at.value),
        portal: form.elements.portal.value.trim(),
        lang: form.elements.lang.value,
        limit: form.elements.limit.value,
      });
      byId('box-items').replaceChildren(
        ...box.items.map((item) =>
          h(
            'li',
            { 'data-kind': item.kind, 'data-id': item.id },
            h('span', { className: 'icon', 'aria-hidden': 'true' }, item.icon || ''),
            h('span', { className: 'text' }, item.text),
            item.detail ? h('span', { className: 'detail' }, item.detail) : null,
            h('time', { dateTime: item.at }, item.at),
          ),
        ),
      );
      say(
        'box-status',
        `${box.portal} at ${box.at}: ${box.items.length} line(s), ${box.eventsFolded} event(s) folded.`,
        'ok',
      );
    }),
  );

  // ------------------------------------------------------------------ long jobs: rebuilds, republishes

  function progressOf(job) {
    const p = job.progress;
    const total = Math.max(p.total, p.done, 1);
    const eta = p.etaSeconds === null ? '?' : `${Math.round(p.etaSeconds)} s`;
    return h(
      'div',
      { className: 'progress' },
      h('progress', { max: total, value: p.done, 'aria-label': `progress of ${job.id}` }),
      h(
        'span',
        null,
        `${p.done}/${p.total} events · ${Math.round(p.eventsPerSecond)} ev/s · ETA ${eta} · ${job.status}`,
      ),
    );
  }

  const timers = {};
  /** Polls while something runs: one timer per list, stopped when nothing runs any more. */
  function pollWhile(name, running, reload) {
    clearTimeout(timers[name]);
    if (running) timers[name] = setTimeout(() => void reload().catch(() => undefined), POLL_MS);
  }

  async function loadProjections() {
    const projections = await getJson('/admin/projections');
    byId('projections-list').replaceChildren(
      ...projections.map((p) => {
        const rebuild = p.rebuild;
        return h(
          'article',
          { className: 'job', 'data-projection': p.name },
          h('h3', null, `${p.name} (${p.version})`),
          h('p', null, `Live generation ${p.liveGeneration} since ${p.liveSince}.`),
          rebuild
            ? h(
                'div',
                { 'data-rebuild': rebuild.id },
                h(
                  'p',
                  null,
                  `Rebuild ${rebuild.id} of generation ${rebuild.generation}, by ${rebuild.requestedBy}`,
                ),
                progressOf(rebuild),
                rebuild.error ? h('p', { className: 'error' }, rebuild.error) : null,
                RUNNING_REBUILD.includes(rebuild.status)
                  ? h(
                      'button',
                      {
                        type: 'button',
                        className: 'secondary',
                        onclick: guarded('projections-status', async () => {
                          await request('DELETE', `/admin/rebuilds/${encodeURIComponent(rebuild.id)}`);
                          say('projections-status', `Cancelling rebuild ${rebuild.id}.`, 'ok');
                          await loadProjections();
                        }),
                      },
                      `Cancel rebuild of ${p.name}`,
                    )
                  : null,
              )
            : h(
                'button',
                {
                  type: 'button',
                  onclick: guarded('projections-status', async () => {
                    const started = await (
                      await request('POST', `/admin/projections/${encodeURIComponent(p.name)}/rebuilds`)
                    ).json();
                    say('projections-status', `Rebuild ${started.id} of ${p.name} started.`, 'ok');
                    await loadProjections();
                  }),
                },
                `Rebuild ${p.name}`,
              ),
        );
      }),
    );
    const running = projections.some((p) => p.rebuild && RUNNING_REBUILD.includes(p.rebuild.status));
    pollWhile('projections', running, loadProjections);
    if (!running) say('projections-status', `${projections.length} projection(s).`, 'ok');
  }
  byId('projections-refresh').addEventListener('click', guarded('projections-status', loadProjections));

  async function loadRepublishes() {
    const { items: list } = await getJson('/admin/republishes');
    byId('republish-list').replaceChildren(
      ...list.map((r) =>
        h(
          'article',
          { className: 'job', 'data-republish': r.id },
          h('h3', null, `Positions ${r.fromPosition}–${r.toPosition}`),
          h(
            'p',
            null,
            `${r.categories ? r.categories.join(', ') : 'all categories'} · ${r.ratePerSecond}/s · by ${r.requestedBy} at ${r.requestedAt}`,
          ),
          progressOf(r),
          r.error ? h('p', { className: 'error' }, r.error) : null,
          r.status === 'running'
            ? h(
                'button',
                {
                  type: 'button',
                  className: 'secondary',
                  onclick: guarded('republish-status', async () => {
                    await request('DELETE', `/admin/republishes/${encodeURIComponent(r.id)}`);
                    say('republish-status', `Cancelling republish ${r.id}.`, 'ok');
                    await loadRepublishes();
                  }),
                },
                `Cancel republish ${r.fromPosition}–${r.toPosition}`,
              )
            : null,
        ),
      ),
    );
    pollWhile(
      'republishes',
      list.some((r) => r.status === 'running'),
      loadRepublishes,
    );
  }
  byId('republish-refresh').addEventListener('click', guarded('republish-status', loadRepublishes));
  byId('republish-form').addEventListener(
    'submit',
    guarded('republish-status', async () => {
      const form = byId('republish-form');
      const categories = Array.from(
        form.querySelectorAll('input[name="categories"]:checked'),
        (c) => c.value,
      );
      const started = await (
        await request('POST', '/admin/republishes', undefined, {
          fromPosition: Number(form.elements.fromPosition.value),
          toPosition: Number(form.elements.toPosition.value),
          ratePerSecond: Number(form.elements.ratePerSecond.value),
          ...(categories.length ? { categories } : {}),
        })
      ).json();
      say('republish-status', `Republish ${started.id} started.`, 'ok');
      await loadRepublishes();
    }),
  );

  // ------------------------------------------------------------------ health

  // The service samples every few seconds (METRICS_REFRESH_MS); polling faster only repeats a sample.
  const HEALTH_POLL_MS = 2000;
  /** Samples the service keeps: the charts' width, so the newest sample is always at the right edge. */
  const HEALTH_SAMPLES = 90;
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const COLORS = ['#00586f', '#b3261e', '#2e7d32', '#6a1b9a', '#a05a00', '#37474f'];
  let healthTimer = null;

  function svg(tag, attrs, text) {
    const el = document.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
    if (text !== undefined) el.textContent = text;
    return el;
  }
  const formatRate = (n) =>
    typeof n !== 'number' ? '–' : n >= 100 ? String(Math.round(n)) : String(Math.round(n * 10) / 10);

  /** Each series (one value or null per sample) as a polyline; the chart's <title> stays for screen readers. */
  function drawChart(id, series) {
    const chart = byId(id);
    const title = chart.querySelector('title');
    const values = series.flatMap((s) => s.values).filter((v) => typeof v === 'number');
    const max = Math.max(1, ...values);
    const step = 300 / (HEALTH_SAMPLES - 1);
    const parts = [
      svg('line', { x1: 0, y1: 78, x2: 300, y2: 78, stroke: '#c8d0d9' }),
      svg('text', { x: 4, y: 12, 'font-size': 10, fill: '#5b6775' }, `max ${formatRate(max)}`),
    ];
    for (const s of series) {
      const points = [];
      s.values.forEach((v, i) => {
        if (typeof v !== 'number') return;
        const x = 300 - (s.values.length - 1 - i) * step;
        points.push(`${x.toFixed(1)},${(78 - (v / max) * 62).toFixed(1)}`);
      });
      if (points.length === 0) continue;
      parts.push(
        svg('polyline', {
          points: points.join(' '),
          fill: 'none',
          stroke: s.color,
          'stroke-width': 2,
          'data-series': s.name,
        }),
      );
    }
    chart.replaceChildren(...(title ? [title] : []), ...parts);
  }

  async function loadHealth() {
    const { samples } = await getJson('/admin/metrics');
    const last = samples[samples.length - 1];
    if (!last) {
      say('health-status', 'No measurement yet; the service samples every few seconds.', 'info');
      return;
    }
    const groups = [...new Set(samples.flatMap((s) => s.consumers.map((c) => c.group)))].sort();
    const lagOf = (sample, group) => {
      const consumer = sample.consumers.find((c) => c.group === group);
      return consumer ? consumer.lag : null;
    };
    const lagSeries = [
      {
        name: 'relay (outbox)',
        color: COLORS[0],
        values: samples.map((s) => s.relayLag),
        now: last.relayLag,
      },
      ...groups.map((group, i) => ({
        name: group,
        color: COLORS[(i + 1) % COLORS.length],
        values: samples.map((s) => lagOf(s, group)),
        now: lagOf(last, group),
        keepingUp: (last.consumers.find((c) => c.group === group) || { keepingUp: true }).keepingUp,
      })),
    ];
    drawChart('health-events-chart', [
      { name: 'events/s', color: COLORS[0], values: samples.map((s) => s.eventsPerSecond) },
    ]);
    drawChart('health-lag-chart', lagSeries);
    byId('health-events-now').textContent = `${formatRate(last.eventsPerSecond)} events/s`;
    const total = lagSeries.reduce((sum, s) => sum + (typeof s.now === 'number' ? s.now : 0), 0);
    byId('health-lag-now').textContent = `${total} in total`;
    byId('health-consumers').replaceChildren(
      ...lagSeries.map((s) =>
        h(
          'li',
          { 'data-series': s.name },
          (() => {
            const swatch = svg('svg', { width: 12, height: 12, viewBox: '0 0 12 12', 'aria-hidden': 'true' });
            swatch.append(svg('circle', { cx: 6, cy: 6, r: 5, fill: s.color }));
            return swatch;
          })(),
          `${s.name}: ${typeof s.now === 'number' ? s.now : 'unknown'}`,
          s.keepingUp === false ? ' — not keeping up' : '',
        ),
      ),
    );
    const problems = [
      last.transportUp === false ? 'Kafka does not answer' : null,
      ...lagSeries.filter((s) => s.keepingUp === false).map((s) => `${s.name} is not keeping up`),
    ].filter(Boolean);
    const at = new Date(last.at).toLocaleTimeString();
    say(
      'health-status',
      problems.length ? `Unhealthy (${at}): ${problems.join('; ')}.` : `Healthy (${at}).`,
      problems.length ? 'error' : 'ok',
    );
  }

  function pollHealth() {
    clearTimeout(healthTimer);
    if (!token()) return;
    loadHealth()
      .catch((error) => say('health-status', error instanceof Error ? error.message : String(error), 'error'))
      .finally(() => {
        clearTimeout(healthTimer);
        if (token()) healthTimer = setTimeout(pollHealth, HEALTH_POLL_MS);
      });
  }
  byId('token-form').addEventListener('submit', pollHealth);
  byId('token-forget').addEventListener('click', pollHealth);
  pollHealth();
})();
