import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  type AdminJobProgress,
  type ProjectionView,
  type RebuildView,
  type RepublishView,
  StreamIds,
} from '@feedwerk/contracts';
import { cvFields, employerBody, jobBody, pdfBytes, uniqueName, waitFor } from '@feedwerk/testing';
import { parse as parseCsv } from 'csv-parse/sync';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ADMIN_PAGE_CSP } from '../apps/admin/src/page/admin-page.controller';
import { axeViolations, buildAdminPage, launchChromium } from './browser';
import { call, type Deployment, post, startEmbedded, TEST_ADMIN_TOKEN, adminGet } from './support';

/** The page as `npm run build` makes it, built afresh for these tests (ADMIN_PAGE_DIR). */
let adminPage: Awaited<ReturnType<typeof buildAdminPage>>;
beforeAll(async () => {
  adminPage = await buildAdminPage();
});
afterAll(() => adminPage?.remove());

/**
 * What the page reports that the admin would not see: CSP and Trusted Types violations, console errors
 * and uncaught exceptions, and answers of 404 (a missing file, the favicon included).
 */
function watch(page: Page) {
  const seen = { cspViolations: [] as string[], errors: [] as string[], notFound: [] as string[] };
  page.on('console', (message) => {
    const text = message.text();
    if (/Content Security Policy|Trusted Type/i.test(text)) seen.cspViolations.push(text);
    // Chromium logs every refused fetch; the API's 400 and 401 answers are what some tests provoke.
    else if (message.type() === 'error' && !/the server responded with a status of 40[01]\b/.test(text))
      seen.errors.push(text);
  });
  page.on('pageerror', (error) => seen.errors.push(String(error)));
  page.on('response', (response) => {
    if (response.status() === 404) seen.notFound.push(response.url());
  });
  return seen;
}

const XSS_TITLE = '<img src=x onerror=alert(1)> Pflegekraft';

/**
 * The admin page in real Chromium against the running service (embedded default): token, events
 * with filters and pages, export, a stream's history, state at a version, the box at a time.
 */
describe('the admin page in Chromium: history', () => {
  let browser: Browser;
  let deployment: Deployment;
  let context: BrowserContext;
  let page: Page;
  let dialogs: string[];
  let seen: ReturnType<typeof watch>;
  const portal = uniqueName('a');
  let jobId: string;
  let erasedCandidate: string;

  beforeAll(async () => {
    browser = await launchChromium();
    deployment = await startEmbedded({ ADMIN_PAGE_DIR: adminPage.dir });
    const employer = await post(deployment.apiUrl, '/employers', employerBody());
    const auth = { authorization: `Bearer ${String(employer.body.apiKey)}` };
    const job = await post(deployment.apiUrl, '/jobs', jobBody({ portal, title: XSS_TITLE }), auth);
    jobId = String(job.body.jobId);
    expect(
      (
        await call(
          deployment.apiUrl,
          'PATCH',
          `/jobs/${jobId}`,
          { remote: true },
          { ...auth, 'if-match': '"1"' },
        )
      ).status,
    ).toBe(200);
    const form = new FormData();
    for (const [key, value] of Object.entries(cvFields({ portal }))) form.append(key, value);
    form.append('file', new Blob([new Uint8Array(pdfBytes())], { type: 'application/pdf' }), 'cv.pdf');
    const uploaded = (await (
      await fetch(`${deployment.apiUrl}/candidates/cvs`, { method: 'POST', body: form })
    ).json()) as Record<string, string>;
    erasedCandidate = uploaded.candidateId!;
    const erased = await fetch(`${deployment.apiUrl}/candidates/${erasedCandidate}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${uploaded.candidateToken}` },
    });
    expect(erased.status).toBe(200);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await deployment?.stop();
  });

  beforeEach(async () => {
    context = await browser.newContext({ acceptDownloads: true });
    page = await context.newPage();
    dialogs = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    seen = watch(page);
    const response = await page.goto(`${deployment.apiUrl}/admin`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toBe(ADMIN_PAGE_CSP);
    await page.fill('#token', TEST_ADMIN_TOKEN);
    await page.click('#token-form button[type=submit]');
    await page.waitForSelector('#token-status:text("A token is set")');
  });
  afterEach(async () => {
    // The page works under its strict CSP: nothing it does is blocked, no HTML is written from strings.
    expect(seen.cspViolations).toEqual([]);
    // And quietly: no error in the console, no request for something that is not there.
    expect(seen.errors).toEqual([]);
    expect(seen.notFound).toEqual([]);
    await context.close();
  });

  const eventRows = (selector = '#events-table tbody tr') =>
    page.locator(selector).evaluateAll((rows) =>
      rows.map((row) => ({
        position: Number((row as HTMLElement).dataset.position),
        type: (row as HTMLElement).dataset.type ?? '',
        text: row.textContent ?? '',
      })),
    );

  it('keeps the token in this tab only, and says so when the API refuses one', async () => {
    expect(await page.evaluate(() => Object.keys(localStorage))).toEqual([]);
    expect(await page.evaluate(() => sessionStorage.getItem('feedwerk.admin.token'))).toBe(TEST_ADMIN_TOKEN);
    await page.reload();
    await page.waitForSelector('#token-status:text("A token is set")');
    await page.fill('#token', 'not-the-admin-token-not-the-admin-token');
    await page.click('#token-form button[type=submit]');
    await page.click('#events-form button[type=submit]');
    await page.waitForSelector('#events-status[data-kind=error]');
    expect(await page.textContent('#events-status')).toBe(
      '401 Unauthorized: the admin credential is not valid',
    );
  });

  it('lists, filters and pages events; data is text, erased personal data shows as erased', async () => {
    await page.fill('#events-portal', portal);
    await page.click('#events-form button[type=submit]');
    await page.waitForSelector('#events-status[data-kind=ok]');
    const rows = await eventRows();
    expect(rows.map((r) => r.type)).toEqual(['JobPosted', 'JobUpdated', 'CvUploaded']);
    // The title is shown as the text it is: no image element, no script ran.
    expect(rows[0]!.text).toContain(XSS_TITLE);
    expect(await page.locator('#events-table img').count()).toBe(0);
    expect(rows[2]!.text).toContain('"status": "erased"');
    expect(rows[2]!.text).not.toContain('ciphertext');

    await page.selectOption('#events-type', ['JobPosted', 'JobUpdated']);
    await page.fill('#events-limit', '1');
    await page.click('#events-form button[type=submit]');
    await page.waitForSelector('#events-status[data-kind=ok]');
    const first = await eventRows();
    expect(first.map((r) => r.type)).toEqual(['JobPosted']);
    expect(await page.isEnabled('#events-next')).toBe(true);
    await page.click('#events-next');
    await waitFor('the second page', async () => (await eventRows())[0]?.type === 'JobUpdated');
    expect((await eventRows())[0]!.position).toBeGreaterThan(first[0]!.position);

    await page.selectOption('#events-order', 'desc');
    await page.click('#events-form button[type=submit]');
    await waitFor('newest first', async () => (await eventRows())[0]?.type === 'JobUpdated');

    await page.fill('#events-limit', '900');
    await page.click('#events-form button[type=submit]');
    await page.waitForSelector('#events-status[data-kind=error]');
    expect(await page.textContent('#events-status')).toContain('limit: must be at most 500');
    expect(dialogs).toEqual([]);
  });

  it('exports the filtered events as a CSV file', async () => {
    await page.fill('#events-portal', portal);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#events-export-csv')]);
    expect(download.suggestedFilename()).toMatch(/^feedwerk-events-.*\.csv$/);
    const text = await readFile(await download.path(), 'utf8');
    const records = parseCsv<Record<string, string>>(text, { columns: true });
    expect(records.map((r) => r.type)).toEqual(['JobPosted', 'JobUpdated', 'CvUploaded']);
    expect(JSON.parse(records[2]!.data!)).toMatchObject({ personal: { status: 'erased' } });
    await page.waitForSelector('#events-status:text("recorded as an admin action")');
  });

  it("shows a stream's history from an event's stream link, and the state at a version", async () => {
    await page.fill('#events-stream', StreamIds.job(jobId));
    await page.click('#events-form button[type=submit]');
    await page.waitForSelector('#events-status[data-kind=ok]');
    await page.click(`#events-table button:text("${StreamIds.job(jobId)}")`);
    await page.waitForSelector('#stream-status[data-kind=ok]');
    const versions = await page
      .locator('#stream-table tbody tr')
      .evaluateAll((rows) =>
        rows.map((r) => [(r as HTMLElement).dataset.version, (r as HTMLElement).dataset.type]),
      );
    expect(versions).toEqual([
      ['1', 'JobPosted'],
      ['2', 'JobUpdated'],
    ]);

    expect(await page.inputValue('#state-stream')).toBe(StreamIds.job(jobId));
    await page.fill('#state-version', '1');
    await page.click('#state-form button[type=submit]');
    await page.waitForSelector('#state-status[data-kind=ok]');
    const state = JSON.parse((await page.textContent('#state-output'))!) as {
      status: string;
      job: { remote?: boolean };
    };
    expect(state.status).toBe('open');
    expect(state.job.remote).not.toBe(true);
    await page.fill('#state-version', '');
    await page.click('#state-form button[type=submit]');
    await waitFor('the latest state', async () =>
      (await page.textContent('#state-status'))?.includes('version 2 of 2'),
    );
    expect(JSON.parse((await page.textContent('#state-output'))!)).toMatchObject({ job: { remote: true } });
  });

  it('shows the box at a time, as the API answers it, and passes axe', async () => {
    await page.fill('#box-portal', portal);
    await page.click('#box-form button[type=submit]');
    await page.waitForSelector('#box-status[data-kind=ok]');
    const shown = await page
      .locator('#box-items li')
      .evaluateAll((items) =>
        items.map((li) => [(li as HTMLElement).dataset.kind, li.querySelector('.text')?.textContent]),
      );
    const at = await page.evaluate(() =>
      new Date((document.getElementById('box-at') as HTMLInputElement).value).toISOString(),
    );
    const api = await adminGet(deployment.apiUrl, `/admin/ticker/box?at=${at}&portal=${portal}`);
    const items = api.body.items as { kind: string; text: string }[];
    expect(items.map((i) => i.kind)).toContain('job.updated');
    expect(shown).toEqual(items.map((i) => [i.kind, i.text]));

    await page.fill('#events-portal', portal);
    await page.click('#events-form button[type=submit]');
    await page.waitForSelector('#events-status[data-kind=ok]');
    expect(await axeViolations(page)).toEqual([]);
  });

  it("charts the feed's health live: events/s and the lag of the relay and of every consumer group", async () => {
    const employers = await Promise.all(
      [1, 2, 3].map(() => post(deployment.apiUrl, '/employers', employerBody())),
    );
    expect(employers.map((e) => e.status)).toEqual([201, 201, 201]);
    // The service samples every METRICS_REFRESH_MS (5 s): events/s needs two samples around the posts.
    const rate = await waitFor(
      'a positive events/s on the page',
      async () => {
        const text = (await page.textContent('#health-events-now')) ?? '';
        const value = /^(\d+(?:\.\d)?) events\/s$/.exec(text)?.[1];
        return value !== undefined && Number(value) > 0 ? Number(value) : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(rate).toBeGreaterThan(0);
    await page.waitForSelector('#health-status[data-kind=ok]');
    expect(await page.textContent('#health-status')).toMatch(/^Healthy \(/);
    // One line per series, drawn as SVG (no HTML from strings), the newest sample at the right edge.
    expect(await page.locator('#health-events-chart polyline').count()).toBe(1);
    const series = await page
      .locator('#health-lag-chart polyline')
      .evaluateAll((lines) => lines.map((l) => l.getAttribute('data-series') ?? ''));
    expect(series).toEqual(
      expect.arrayContaining(['relay (outbox)', 'projector.activity', 'projector.jobs']),
    );
    expect(series.some((name) => name.startsWith('ticker.'))).toBe(true);
    const lastX = await page
      .locator('#health-lag-chart polyline[data-series="projector.activity"]')
      .evaluate((l) => Number(l.getAttribute('points')?.split(' ').at(-1)?.split(',')[0]));
    expect(lastX).toBe(300);
    // A sample may fall between an append and its relay; the next ones show every lag drained.
    const legend = await waitFor(
      'every lag at 0 in the legend',
      async () => {
        const lines = await page.locator('#health-consumers li').allTextContents();
        return lines.length >= 4 && lines.every((line) => line.endsWith(': 0')) ? lines : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(legend).toEqual(
      expect.arrayContaining(['relay (outbox): 0', 'projector.activity: 0', 'projector.jobs: 0']),
    );
    expect(await page.textContent('#health-lag-now')).toBe('0 in total');
  });

  it('rebuilds the activity projection against the real service until the new generation is live', async () => {
    const before = await call(deployment.apiUrl, 'GET', '/admin/projections', undefined, {
      authorization: `Bearer ${TEST_ADMIN_TOKEN}`,
    });
    const live = (before.body as unknown as ProjectionView[]).find((p) => p.name === 'activity');
    expect(live).toBeDefined();
    const next = (live?.liveGeneration ?? 0) + 1;
    await page.click('#projections-refresh');
    await page.click('button:text("Rebuild activity")');
    // The page polls while the rebuild runs and renders the projection again once it is live.
    let shown: string | null = null;
    try {
      await waitFor(
        'the page to show the new live generation',
        async () => {
          shown = await page.textContent('[data-projection=activity]');
          return shown?.includes(`Live generation ${next} since`);
        },
        { timeoutMs: 90_000, intervalMs: 250 },
      );
    } catch (error) {
      const api = await call(deployment.apiUrl, 'GET', '/admin/projections', undefined, {
        authorization: `Bearer ${TEST_ADMIN_TOKEN}`,
      });
      throw new Error(`${String(error)}; the page showed ${shown}; the API says ${JSON.stringify(api.body)}`);
    }
    expect(await page.locator('button:text("Rebuild activity")').count()).toBe(1);
  }, 120_000);
});

// ---------------------------------------------------------------------------------------------

const progress = (done: number, total: number): AdminJobProgress => ({
  done,
  total,
  eventsPerSecond: done === 0 ? 0 : 100,
  etaSeconds: done === 0 ? null : (total - done) / 100,
});

/**
 * The page's rebuild and republish sections against a fake of those routes that advances a job
 * each time it is polled: the real page files and CSP, with progress states (a slow rebuild, a
 * cancel) a real rebuild of a small test history passes too fast to see. The real routes are
 * driven above (rebuild) and in the CLI e2e test (rebuild, republish).
 */
describe('the admin page in Chromium: rebuilds and republishes (against a fake admin API)', () => {
  let browser: Browser;
  let server: Server;
  let url: string;
  const requests: string[] = [];
  const bodies: unknown[] = [];
  let rebuild: RebuildView | null = null;
  let republishes: RepublishView[] = [];

  const advance = <T extends RebuildView | RepublishView>(job: T, running: string, end: string): T => {
    if (job.status !== running) return job;
    const done = Math.min(job.progress.done + 250, job.progress.total);
    return {
      ...job,
      status: done === job.progress.total ? end : running,
      progress: progress(done, job.progress.total),
    };
  };

  beforeAll(async () => {
    browser = await launchChromium();
    const files: Record<string, [string, string]> = {
      '/admin': ['index.html', 'text/html; charset=utf-8'],
      '/admin/admin.js': ['admin.js', 'text/javascript; charset=utf-8'],
      '/admin/admin.css': ['admin.css', 'text/css; charset=utf-8'],
      '/admin/favicon.svg': ['favicon.svg', 'image/svg+xml'],
    };
    server = createServer((request, response) => {
      let raw = '';
      request.on('data', (chunk: Buffer) => (raw += chunk.toString()));
      request.on('end', () => {
        void (async () => {
          const path = request.url ?? '';
          const file = files[path];
          if (file) {
            response.writeHead(200, { 'content-type': file[1], 'content-security-policy': ADMIN_PAGE_CSP });
            response.end(await readFile(join(adminPage.dir, file[0])));
            return;
          }
          requests.push(`${request.method} ${path}`);
          if (raw) bodies.push(JSON.parse(raw));
          if (request.headers.authorization !== `Bearer ${TEST_ADMIN_TOKEN}`) {
            response.writeHead(401, { 'content-type': 'application/problem+json' });
            response.end(JSON.stringify({ title: 'Unauthorized', status: 401, detail: 'no' }));
            return;
          }
          let answer: unknown = null;
          if (path === '/admin/projections') {
            if (rebuild) rebuild = advance(rebuild, 'building', 'live');
            const projections: ProjectionView[] = [
              {
                name: 'activity',
                version: 'activity@2',
                liveGeneration: 1,
                liveSince: '2026-11-27T08:00:00.000Z',
                rebuild: rebuild && ['building', 'switching'].includes(rebuild.status) ? rebuild : null,
              },
            ];
            answer = projections;
          } else if (request.method === 'POST' && path === '/admin/projections/activity/rebuilds') {
            rebuild = {
              id: 'e0f0a0b0-0000-4000-8000-00000000000a',
              projection: 'activity',
              generation: 2,
              cancelRequested: false,
              status: 'building',
              requestedBy: 'admin-0123456789ab',
              requestedAt: new Date().toISOString(),
              finishedAt: null,
              progress: progress(0, 10_000),
              error: null,
            };
            answer = rebuild;
          } else if (request.method === 'DELETE' && rebuild && path === `/admin/rebuilds/${rebuild.id}`) {
            rebuild = { ...rebuild, status: 'cancelled' };
            answer = rebuild;
          } else if (request.method === 'POST' && path === '/admin/republishes') {
            const body = JSON.parse(raw) as {
              fromPosition: number;
              toPosition: number;
              ratePerSecond: number;
            };
            const started: RepublishView = {
              id: 'f0f0a0b0-0000-4000-8000-00000000000b',
              fromPosition: body.fromPosition,
              toPosition: body.toPosition,
              categories: ['jobs'],
              ratePerSecond: body.ratePerSecond,
              status: 'running',
              requestedBy: 'admin-0123456789ab',
              requestedAt: new Date().toISOString(),
              finishedAt: null,
              progress: progress(0, 1_000),
              error: null,
            };
            republishes = [started];
            answer = started;
          } else if (path === '/admin/republishes') {
            republishes = republishes.map((r) => advance(r, 'running', 'done'));
            answer = { items: republishes };
          } else if (path === '/admin/metrics') {
            answer = { samples: [] };
          }
          response.writeHead(answer === null ? 404 : 200, { 'content-type': 'application/json' });
          response.end(JSON.stringify(answer));
        })();
      });
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((done) => server?.close(done));
  });

  /** A fresh page on the admin page, signed in with the test token, watched for errors. */
  const signedIn = async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const seen = watch(page);
    await page.goto(`${url}/admin`);
    await page.fill('#token', TEST_ADMIN_TOKEN);
    await page.click('#token-form button[type=submit]');
    return { context, page, seen };
  };

  it('starts a rebuild, shows its progress while polling, and cancels it', async () => {
    const { context, page, seen } = await signedIn();
    await page.click('#projections-refresh');
    await page.click('button:text("Rebuild activity")');
    const bar = page.locator('[data-projection=activity] progress');
    await waitFor('progress beyond the start', async () => Number(await bar.getAttribute('value')) >= 500, {
      timeoutMs: 15_000,
    });
    expect(await bar.getAttribute('max')).toBe('10000');
    expect(await page.textContent('[data-projection=activity] .progress span')).toMatch(
      /\d+\/10000 events · 100 ev\/s · ETA \d+ s · building/,
    );
    await page.click('button:text("Cancel rebuild of activity")');
    await waitFor('the cancel', () => requests.includes(`DELETE /admin/rebuilds/${rebuild!.id}`));
    await waitFor(
      'the rebuild button again',
      async () => (await page.locator('button:text("Rebuild activity")').count()) === 1,
    );
    expect(seen).toEqual({ cspViolations: [], errors: [], notFound: [] });
    await context.close();
  });

  it('starts a republish of a range and follows it until done', async () => {
    const { context, page, seen } = await signedIn();
    await page.fill('#republish-from', '10');
    await page.fill('#republish-to', '1009');
    await page.fill('#republish-rate', '200');
    await page.check('input[name=categories][value=jobs]');
    await page.click('#republish-form button[type=submit]');
    await waitFor(
      'the republish to finish',
      async () => (await page.textContent('[data-republish] .progress span'))?.endsWith('· done'),
      { timeoutMs: 20_000 },
    );
    expect(bodies).toContainEqual({
      fromPosition: 10,
      toPosition: 1009,
      ratePerSecond: 200,
      categories: ['jobs'],
    });
    expect(await page.getAttribute('[data-republish] progress', 'value')).toBe('1000');
    expect(await page.locator('[data-republish] button').count()).toBe(0);
    expect(await axeViolations(page)).toEqual([]);
    expect(seen).toEqual({ cspViolations: [], errors: [], notFound: [] });
    await context.close();
  });
});
