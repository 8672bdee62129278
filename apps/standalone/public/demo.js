// Demo page of the embedded default: the live box "Neueste Aktivitäten" (socket.io namespace
// /ticker) and two small forms that register an employer and post a job through the HTTP API.
// Plain script, no build step. Everything that comes from the server is rendered as text nodes
// (createElement + textContent), never as HTML.
(function () {
  'use strict';

  const PORTAL = 'berlin';
  const LANG = 'de';
  const MAX_ITEMS = 8;
  const REFRESH_MS = 30_000;
  const ACK_TIMEOUT_MS = 10_000;
  const RETRY_SUBSCRIBE_MS = 5_000;
  const STORAGE_KEY = 'feedwerk.demo.employer';

  const byId = (id) => {
    const el = document.getElementById(id);
    if (!el) throw new Error(`demo page: element #${id} is missing`);
    return el;
  };

  // ------------------------------------------------------------------ relative times

  const relativeFormat = new Intl.RelativeTimeFormat('de', { numeric: 'auto' });
  const absoluteFormat = new Intl.DateTimeFormat('de-DE', { dateStyle: 'medium', timeStyle: 'short' });
  const UNITS = [
    // [limit in seconds (exclusive), unit, seconds per unit]
    [45 * 60, 'minute', 60],
    [22 * 3600, 'hour', 3600],
    [26 * 86400, 'day', 86400],
    [320 * 86400, 'month', 30.44 * 86400],
    [Infinity, 'year', 365.25 * 86400],
  ];

  /** "gerade eben" below 45 s, then "vor 2 Minuten", "vor 3 Stunden", "gestern", ... */
  function relativeTime(iso, now) {
    const at = Date.parse(iso);
    if (Number.isNaN(at)) return '';
    // A server clock slightly ahead of ours must not produce "in 1 Minute".
    const seconds = Math.max(0, (now - at) / 1000);
    if (seconds < 45) return 'gerade eben';
    for (const [limit, unit, size] of UNITS) {
      if (seconds < limit) return relativeFormat.format(-Math.max(1, Math.round(seconds / size)), unit);
    }
    return '';
  }

  function absoluteTime(iso) {
    const at = Date.parse(iso);
    return Number.isNaN(at) ? '' : absoluteFormat.format(at);
  }

  // ------------------------------------------------------------------ the box

  const list = byId('ticker-list');
  const empty = byId('ticker-empty');
  const status = byId('ticker-status');
  const statusLabel = byId('ticker-status-label');

  /** Shown items, newest first (order desc), at most MAX_ITEMS. */
  let shown = [];
  /** Every item known (id -> item): changes upsert or retract by id (ticker protocol v1). */
  const known = new Map();
  /** id@position -> <li>, so a re-render keeps unchanged rows (and their animation state). */
  const rows = new Map();
  const rowKey = (item) => `${item.id}@${item.position}`;

  const STATUS_TEXT = {
    connecting: 'Verbinde …',
    live: 'Live',
    reconnecting: 'Verbindung wird wiederhergestellt …',
    offline: 'Offline',
    error: 'Fehler',
  };

  function setStatus(state, text) {
    status.dataset.state = state;
    statusLabel.textContent = text || STATUS_TEXT[state];
  }

  /** Accepts only what a row needs, in the shape the protocol promises; anything else is dropped. */
  function isItem(item) {
    return (
      item !== null &&
      typeof item === 'object' &&
      typeof item.id === 'string' &&
      Number.isSafeInteger(item.position) &&
      item.position > 0 &&
      Number.isSafeInteger(item.order) &&
      typeof item.text === 'string' &&
      typeof item.at === 'string'
    );
  }

  function createRow(item) {
    const li = document.createElement('li');
    li.className = 'ticker-item';
    if (typeof item.kind === 'string') li.dataset.kind = item.kind;

    const icon = document.createElement('span');
    icon.className = 'ticker-item__icon';
    icon.setAttribute('aria-hidden', 'true');
    if (typeof item.icon === 'string' && item.icon !== '') icon.textContent = item.icon;
    else icon.classList.add('ticker-item__icon--none');

    const body = document.createElement('span');
    body.className = 'ticker-item__body';

    const line = document.createElement('span');
    line.className = 'ticker-item__line';
    const text = document.createElement('span');
    text.className = 'ticker-item__text';
    text.textContent = item.text;
    line.append(text);
    if (typeof item.detail === 'string' && item.detail !== '') {
      const detail = document.createElement('span');
      detail.className = 'ticker-item__count';
      detail.textContent = item.detail;
      line.append(detail);
    }

    const time = document.createElement('time');
    time.className = 'ticker-item__time';
    time.dateTime = item.at;
    time.title = absoluteTime(item.at);
    time.textContent = relativeTime(item.at, Date.now());

    body.append(line, time);
    li.append(icon, body);
    return li;
  }

  /** Puts the rows of `items` (newest first) into the list, reusing rows already shown. */
  function render(items, highlightNew) {
    const keep = new Set(items.map(rowKey));
    for (const [key, li] of rows) {
      if (!keep.has(key)) {
        li.remove();
        rows.delete(key);
      }
    }
    items.forEach((item, index) => {
      let li = rows.get(rowKey(item));
      if (!li) {
        li = createRow(item);
        if (highlightNew) {
          li.classList.add('is-new');
          li.addEventListener('animationend', () => li.classList.remove('is-new'), { once: true });
        }
        rows.set(rowKey(item), li);
      }
      // Move only when out of place, so unchanged rows are not re-announced by the live region.
      if (list.children[index] !== li) list.insertBefore(li, list.children[index] || null);
    });
    shown = items;
    empty.hidden = items.length > 0;
  }

  const newestFirst = (a, b) => b.order - a.order;

  /** The known items, newest first, at most MAX_ITEMS. */
  function visible() {
    return [...known.values()].sort(newestFirst).slice(0, MAX_ITEMS);
  }

  function refreshTimes() {
    const now = Date.now();
    for (const item of shown) {
      const li = rows.get(rowKey(item));
      const time = li && li.querySelector('time');
      if (time) time.textContent = relativeTime(item.at, now);
    }
  }
  setInterval(refreshTimes, REFRESH_MS);

  // ------------------------------------------------------------------ the socket

  let subscription = 0;
  let retryTimer = null;

  function startTicker() {
    empty.textContent = 'Aktivitäten werden geladen …';
    empty.hidden = false;
    if (typeof window.io !== 'function') {
      setStatus('offline', 'Live-Verbindung nicht verfügbar');
      empty.textContent = 'Die Live-Verbindung ist nicht verfügbar.';
      return;
    }
    const socket = window.io('/ticker', { transports: ['websocket', 'polling'] });

    /** Subscribes (again) for a snapshot of the box, which replaces what is shown. */
    function subscribe() {
      clearTimeout(retryTimer);
      const id = ++subscription;
      const request = { portal: PORTAL, lang: LANG, limit: MAX_ITEMS };
      socket.timeout(ACK_TIMEOUT_MS).emit('ticker.subscribe', request, (err, ack) => {
        if (id !== subscription) return; // an older request answered late
        if (err || !ack || ack.ok !== true || !Array.isArray(ack.items)) {
          const reason = err
            ? 'keine Antwort'
            : (ack && typeof ack.error === 'string' && ack.error) || 'abgelehnt';
          setStatus('error', `Fehler: ${reason}`);
          if (socket.connected) retryTimer = setTimeout(() => subscribe(), RETRY_SUBSCRIBE_MS);
          return;
        }
        known.clear();
        for (const item of ack.items) if (isItem(item)) known.set(item.id, item);
        render(visible(), false);
        empty.textContent = 'Noch keine Aktivitäten.';
        setStatus('live');
      });
    }

    socket.on('connect', () => {
      setStatus('connecting');
      subscribe();
    });

    socket.on('disconnect', (reason) => {
      clearTimeout(retryTimer);
      subscription++; // an answer to a request of the lost connection is ignored
      // "io server disconnect": the server closed us on purpose; socket.io does not retry by itself.
      if (reason === 'io server disconnect') {
        setStatus('reconnecting');
        socket.connect();
      } else if (reason === 'io client disconnect') {
        setStatus('offline');
      } else {
        setStatus('reconnecting');
      }
    });

    socket.on('connect_error', () => {
      setStatus(socket.active ? 'reconnecting' : 'offline');
    });

    socket.on('ticker.change', (change) => {
      if (!change || typeof change !== 'object') return;
      if (change.op === 'upsert' && isItem(change.item)) known.set(change.item.id, change.item);
      else if (change.op === 'retract' && typeof change.id === 'string') known.delete(change.id);
      else return;
      render(visible(), true);
    });

    socket.on('ticker.resync', () => subscribe());
  }

  // ------------------------------------------------------------------ HTTP helpers

  /** 32 hex characters: an Idempotency-Key (also outside secure contexts, where randomUUID is missing). */
  function newIdempotencyKey() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  /**
   * POSTs JSON. Resolves to { ok, status, data }: data is the JSON answer, or a problem object for
   * errors (also for answers that are not problem+json and for network failures, status 0).
   */
  async function postJson(url, body, headers) {
    let response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
        body: JSON.stringify(body),
        credentials: 'same-origin',
      });
    } catch {
      return {
        ok: false,
        status: 0,
        data: { title: 'Netzwerkfehler', detail: 'Der Server ist nicht erreichbar. Bitte erneut versuchen.' },
      };
    }
    let data = null;
    const type = response.headers.get('content-type') || '';
    if (/json/i.test(type)) {
      try {
        data = await response.json();
      } catch {
        data = null;
      }
    }
    if (response.ok) return { ok: true, status: response.status, data: data || {} };
    const problem = data && typeof data === 'object' ? data : {};
    return {
      ok: false,
      status: response.status,
      data: {
        title: typeof problem.title === 'string' ? problem.title : response.statusText || 'Fehler',
        detail: typeof problem.detail === 'string' ? problem.detail : `HTTP ${response.status}`,
        errors: Array.isArray(problem.errors) ? problem.errors : [],
      },
    };
  }

  /** The feedback area and field errors of one form. */
  function formFeedback(form, feedbackId) {
    const feedback = byId(feedbackId);
    const message = feedback.querySelector('[data-role="message"]');
    const problems = feedback.querySelector('[data-role="problems"]');

    function clear() {
      message.textContent = '';
      message.className = 'form__message';
      problems.replaceChildren();
      for (const el of form.querySelectorAll('[data-error-for]')) el.textContent = '';
      for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    }

    function show(kind, text) {
      message.className = `form__message is-${kind}`;
      message.textContent = text;
    }

    /** Shows a problem: its detail, and each field error next to its field (or in the list). */
    function problem(data) {
      show('error', data.detail ? `${data.title}: ${data.detail}` : data.title);
      let first = null;
      for (const error of data.errors || []) {
        if (!error || typeof error !== 'object') continue;
        const path = typeof error.path === 'string' ? error.path : '';
        const text = typeof error.message === 'string' ? error.message : 'ungültig';
        const slot = [...form.querySelectorAll('[data-error-for]')].find(
          (el) => el.dataset.errorFor === path,
        );
        const field = form.elements.namedItem(path);
        if (slot && field && field.type !== 'hidden') {
          slot.textContent = slot.textContent ? `${slot.textContent} ${text}` : text;
          field.setAttribute('aria-invalid', 'true');
          if (!first) first = field;
        } else {
          const li = document.createElement('li');
          li.textContent = path ? `${path}: ${text}` : text;
          problems.append(li);
        }
      }
      if (first) first.focus();
    }

    return { clear, show, problem };
  }

  const value = (form, name) => {
    const field = form.elements.namedItem(name);
    return field ? field.value : '';
  };

  // ------------------------------------------------------------------ the employer

  const employerForm = byId('employer-form');
  const employerFields = byId('employer-fields');
  const employerRegistered = byId('employer-registered');
  const employerRegisteredText = byId('employer-registered-text');
  const employerFeedback = formFeedback(employerForm, 'employer-feedback');
  const jobForm = byId('job-form');
  const jobFields = byId('job-fields');
  const jobLocked = byId('job-locked');
  const jobFeedback = formFeedback(jobForm, 'job-feedback');

  /** { employerId, apiKey, name } once registered: kept here and in sessionStorage (survives a reload). */
  let employer = null;

  function loadEmployer() {
    try {
      const stored = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || 'null');
      if (stored && typeof stored.employerId === 'string' && typeof stored.apiKey === 'string') return stored;
    } catch {
      // storage blocked or corrupt: start unregistered
    }
    return null;
  }

  function saveEmployer(value) {
    try {
      if (value) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(value));
      else sessionStorage.removeItem(STORAGE_KEY);
    } catch {
      // storage blocked: the key lives in this page only
    }
  }

  function setEmployer(value) {
    employer = value;
    saveEmployer(value);
    employerRegistered.hidden = !value;
    employerFields.disabled = Boolean(value);
    jobFields.disabled = !value;
    jobLocked.hidden = Boolean(value);
    employerRegisteredText.textContent = value
      ? `registriert${value.name ? ` als ${value.name}` : ''} (Arbeitgeber-ID: ${value.employerId})`
      : '';
  }

  // No Idempotency-Key here: the server refuses one on registration (its answer holds the API key,
  // shown once and never stored). A double submit is prevented below instead.
  let employerPending = false;

  employerForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (employerPending || employer) return;
    employerPending = true;
    employerFeedback.clear();
    employerFeedback.show('pending', 'Wird gesendet …');
    employerFields.disabled = true;
    const body = {
      name: value(employerForm, 'name'),
      website: value(employerForm, 'website'),
      city: value(employerForm, 'city'),
    };
    const result = await postJson('/employers', body, {});
    employerPending = false;
    if (result.ok && typeof result.data.employerId === 'string' && typeof result.data.apiKey === 'string') {
      employerFeedback.clear();
      setEmployer({ employerId: result.data.employerId, apiKey: result.data.apiKey, name: body.name.trim() });
      byId('job-title').focus();
      return;
    }
    employerFields.disabled = false;
    employerFeedback.clear();
    employerFeedback.problem(
      result.ok ? { title: 'Unerwartete Antwort', detail: 'employerId oder apiKey fehlt' } : result.data,
    );
  });

  byId('employer-reset').addEventListener('click', () => {
    setEmployer(null);
    employerFeedback.clear();
    jobFeedback.clear();
    byId('employer-name').focus();
  });

  // ------------------------------------------------------------------ the job

  let jobKey = newIdempotencyKey();
  let jobPending = false;

  jobForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (jobPending || !employer) return;
    jobPending = true;
    jobFeedback.clear();
    jobFeedback.show('pending', 'Wird gesendet …');
    jobFields.disabled = true;
    const body = {
      title: value(jobForm, 'title'),
      description: value(jobForm, 'description'),
      location: {
        city: value(jobForm, 'location.city'),
        region: value(jobForm, 'location.region'),
        postcode: value(jobForm, 'location.postcode'),
      },
      category: value(jobForm, 'category'),
      employmentType: value(jobForm, 'employmentType'),
      portal: value(jobForm, 'portal') || PORTAL,
    };
    const result = await postJson('/jobs', body, {
      authorization: `Bearer ${employer.apiKey}`,
      'idempotency-key': jobKey,
    });
    jobPending = false;
    // Keep the key only when the request may not have arrived, so a retry cannot post the job twice.
    if (result.status !== 0) jobKey = newIdempotencyKey();
    jobFields.disabled = !employer;
    jobFeedback.clear();
    if (result.ok) {
      const id = typeof result.data.jobId === 'string' ? result.data.jobId : '?';
      const version = result.data.version !== undefined ? `, Version ${String(result.data.version)}` : '';
      jobFeedback.show(
        'success',
        `Stellenanzeige veröffentlicht (Job-ID: ${id}${version}). Sie erscheint gleich unter „Neueste Aktivitäten“.`,
      );
      return;
    }
    jobFeedback.problem(result.data);
    if (result.status === 401) {
      // The key is gone (e.g. a fresh database): register again.
      setEmployer(null);
      jobFeedback.show(
        'error',
        `${result.data.detail} – der gespeicherte API-Schlüssel gilt nicht mehr. Bitte registrieren Sie den Arbeitgeber erneut.`,
      );
    }
  });

  // ------------------------------------------------------------------ start

  setEmployer(loadEmployer());
  startTicker();
})();
