// Demo page of the embedded default: small forms that register an employer, post a job and then
// update, refresh or close it through the HTTP API. The box "Neueste Aktivitäten" beside them is the embeddable widget
// (/widget.js), included with one tag exactly as a portal would. Plain script, no build step.
// Everything that comes from the server is rendered as text nodes, never as HTML.
(function () {
  'use strict';

  const PORTAL = 'berlin';
  const STORAGE_KEY = 'feedwerk.demo.employer';

  const byId = (id) => {
    const el = document.getElementById(id);
    if (!el) throw new Error(`demo page: element #${id} is missing`);
    return el;
  };

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
    return sendJson('POST', url, body, headers);
  }

  /** Any JSON request (POST, PATCH), answered as postJson describes. */
  async function sendJson(method, url, body, headers) {
    let response;
    try {
      response = await fetch(url, {
        method,
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
      if (typeof result.data.jobId === 'string' && typeof result.data.version === 'number') {
        showJobActions({
          jobId: result.data.jobId,
          version: result.data.version,
          remote: false,
          title: body.title,
        });
      }
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

  // ------------------------------------------------------------------ the posted job: update, refresh, close

  const jobActions = byId('job-actions');
  const jobActionsText = byId('job-actions-text');
  const jobActionsFeedback = formFeedback(jobActions, 'job-actions-feedback');
  const actionButtons = ['job-update', 'job-refresh', 'job-close'].map(byId);

  /** The job posted last on this page: { jobId, version, remote, title }, or null. */
  let lastJob = null;

  function showJobActions(job) {
    lastJob = job;
    jobActions.hidden = !job;
    jobActionsFeedback.clear();
    for (const button of actionButtons) button.disabled = !job;
    if (job) jobActionsText.textContent = `„${job.title.trim()}“ (Version ${job.version})`;
  }

  /** Runs one action on the last job; each shows its line in the box a moment later. */
  async function act(request, done) {
    if (!lastJob || !employer) return;
    for (const button of actionButtons) button.disabled = true;
    jobActionsFeedback.clear();
    jobActionsFeedback.show('pending', 'Wird gesendet …');
    const result = await request(lastJob, { authorization: `Bearer ${employer.apiKey}` });
    for (const button of actionButtons) button.disabled = false;
    jobActionsFeedback.clear();
    if (!result.ok) {
      jobActionsFeedback.problem(result.data);
      return;
    }
    jobActionsFeedback.show('success', done(result.data));
    if (typeof result.data.version === 'number') {
      lastJob.version = result.data.version;
      jobActionsText.textContent = `„${lastJob.title.trim()}“ (Version ${lastJob.version})`;
    }
  }

  byId('job-update').addEventListener('click', () =>
    act(
      (job, auth) =>
        sendJson(
          'PATCH',
          `/jobs/${job.jobId}`,
          { remote: !job.remote },
          { ...auth, 'if-match': `"${job.version}"` },
        ),
      () => {
        lastJob.remote = !lastJob.remote;
        return `Aktualisiert: ${lastJob.remote ? 'remote möglich' : 'vor Ort'} („✓ Stellenanzeige wurde geupdatet“).`;
      },
    ),
  );
  byId('job-refresh').addEventListener('click', () =>
    act(
      (job, auth) => postJson('/jobs/refresh', { jobIds: [job.jobId] }, auth),
      () => 'Aufgefrischt („↻ Stellenanzeige wurde aktualisiert“).',
    ),
  );
  byId('job-close').addEventListener('click', () =>
    act(
      (job, auth) => postJson(`/jobs/${job.jobId}/close`, { reason: 'filled' }, auth),
      () => {
        const title = lastJob.title;
        showJobActions(null);
        jobActions.hidden = false;
        jobActionsText.textContent = `„${title.trim()}“ ist geschlossen; ihre Zeile verschwindet aus dem Kasten.`;
        return 'Geschlossen.';
      },
    ),
  );

  // ------------------------------------------------------------------ start

  setEmployer(loadEmployer());
})();
