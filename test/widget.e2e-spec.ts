import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type StartedApp } from '@feedwerk/platform';
import { createAppDatabase, employerBody, jobBody, uniqueName, waitFor } from '@feedwerk/testing';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ApiModule } from '../apps/api/src/api.module';
import { ProjectorModule } from '../apps/projector/src/projector.module';
import { RelayModule } from '../apps/relay/src/relay.module';
import { TickerModule } from '../apps/ticker/src/ticker.module';
import {
  axeViolations,
  boxStatus,
  buildWidget,
  launchChromium,
  pageRecordingDialogs,
  type ShownItem,
  shownItems,
  startPartnerSite,
} from './browser';
import { appStarter, post, startEmbedded } from './support';

/**
 * The widget as a portal embeds it: one tag on a page of ANOTHER origin (localhost vs 127.0.0.1),
 * in real Chromium, against the real service: the embedded default (PGlite, in-process transport)
 * and the production layout (api, relay, projector and ticker as separate apps on PostgreSQL and
 * Kafka), where the ticker is also restarted under the widget.
 */

interface Stack {
  readonly apiUrl: string;
  readonly tickerUrl: string;
  /** Production layout only: stops the ticker app, runs `during`, starts it again on the same port. */
  readonly restartTicker?: (during: () => Promise<void>) => Promise<void>;
  stop(): Promise<void>;
}

async function startEmbeddedStack(_partnerOrigin: string): Promise<Stack> {
  const deployment = await startEmbedded();
  return { apiUrl: deployment.apiUrl, tickerUrl: deployment.tickerUrl, stop: () => deployment.stop() };
}

/** The ticker lets only the partner page's origin show boxes (as production must be configured). */
async function startDistributedStack(partnerOrigin: string): Promise<Stack> {
  const database = await createAppDatabase({ TICKER_ALLOWED_ORIGINS: `*=${partnerOrigin}` });
  const start = appStarter(database.env);
  const api = await start('api', ApiModule);
  const others: StartedApp[] = await Promise.all([
    start('relay', RelayModule),
    start('projector', ProjectorModule),
  ]);
  const node = { TICKER_NODE_ID: uniqueName('node-') };
  let ticker: StartedApp | null = await start('ticker', TickerModule, node);
  const port = new URL(ticker.url).port;
  return {
    apiUrl: api.url,
    tickerUrl: ticker.url,
    async restartTicker(during) {
      await ticker?.app.close();
      ticker = null;
      await during();
      // Same port: the widget on the page reconnects to the host its script came from.
      ticker = await start('ticker', TickerModule, { ...node, PORT: port });
    },
    async stop() {
      await ticker?.app.close();
      for (const { app } of others.reverse()) await app.close();
      await api.app.close();
      await database.drop();
    },
  };
}

/** Lines that stand for job postings, and how many postings they count (a burst counts several). */
const postingsShown = (items: readonly ShownItem[]) =>
  items
    .filter((i) => i.kind === 'job.posted' || i.kind === 'jobs.burst')
    .reduce((sum, i) => sum + (i.kind === 'jobs.burst' ? Number(/\d+/.exec(i.detail)?.[0] ?? 1) : 1), 0);

describe.each([
  ['embedded (PGlite, in-process transport)', startEmbeddedStack],
  ['production layout (PostgreSQL, Kafka, separate apps)', startDistributedStack],
])('the widget on a partner page: %s', (_mode, startStack: (partnerOrigin: string) => Promise<Stack>) => {
  let widget: Awaited<ReturnType<typeof buildWidget>>;
  let browser: Browser;
  let stack: Stack;
  let site: Awaited<ReturnType<typeof startPartnerSite>>;
  let apiKey: string;
  let context: BrowserContext;
  let page: Page;
  let dialogs: string[];

  beforeAll(async () => {
    browser = await launchChromium();
    widget = await buildWidget();
    process.env.WIDGET_DIR = widget.dir;
    site = await startPartnerSite();
    stack = await startStack(site.origin());
    site.use(stack.tickerUrl);
    const employer = await post(stack.apiUrl, '/employers', employerBody());
    expect(employer.status).toBe(201);
    apiKey = String(employer.body.apiKey);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await stack?.stop();
    await widget?.remove();
    delete process.env.WIDGET_DIR;
  });

  beforeEach(async () => {
    ({ context, page, dialogs } = await pageRecordingDialogs(browser));
  });
  afterEach(() => context.close());

  const postJob = async (portal: string, overrides: Record<string, unknown> = {}) => {
    const answer = await post(stack.apiUrl, '/jobs', jobBody({ portal, ...overrides }), {
      authorization: `Bearer ${apiKey}`,
    });
    expect(answer.status).toBe(201);
    return answer;
  };
  const open = async (portal: string, options: { lang?: 'de' | 'en'; max?: number } = {}) => {
    await page.goto(site.url({ portal, ...options }));
    await waitFor('the box to go live', async () => (await boxStatus(page)) === 'live', {
      timeoutMs: 30_000,
    });
  };

  /** Waits until the box satisfies `accept`; on timeout the error shows what the box held. */
  const untilBox = async (
    what: string,
    accept: (items: ShownItem[], status: string | null) => boolean,
    timeoutMs = 30_000,
  ) => {
    let last: unknown = null;
    try {
      return await waitFor(
        what,
        async () => {
          const items = await shownItems(page);
          const status = await boxStatus(page);
          last = { status, items };
          return accept(items, status) && items;
        },
        { timeoutMs },
      );
    } catch (error) {
      throw new Error(`${String(error)}; the box held ${JSON.stringify(last)}`);
    }
  };

  it('shows the latest lines of its portal, newest first, with relative times', async () => {
    const portal = uniqueName('p');
    await postJob(portal);
    await postJob(uniqueName('other'));
    await open(portal);

    // The sign-up and the posting travel on different topics (employers, jobs): order holds per
    // aggregate, not across them, so wait for both rather than for one and expect the other.
    const shown = await untilBox(
      'the posting and the sign-up in the box',
      (items) =>
        items.some((i) => i.kind === 'job.posted') && items.some((i) => i.kind === 'employer.registered'),
    );
    expect(shown.find((i) => i.kind === 'job.posted')).toMatchObject({
      kind: 'job.posted',
      icon: '➟',
      text: 'Neue Stellenanzeige eingestellt',
      time: 'gerade eben',
    });
    // The other portal's posting is not here; the site-wide sign-up is.
    expect(shown.filter((i) => i.kind === 'job.posted')).toHaveLength(1);
    expect(shown.map((i) => i.text)).toContain('Neue Anmeldung Arbeitgeber');
    expect(await page.locator('.feedwerk-ticker h2').textContent()).toBe('Neueste Aktivitäten');
    expect(await page.locator('.feedwerk-ticker ol').getAttribute('aria-live')).toBe('polite');
    // Rendered right where the tag stands, styled by its constructed stylesheet despite the page's CSP.
    expect(
      await page
        .locator('aside script + .feedwerk-ticker .fw-header')
        .evaluate((h) => getComputedStyle(h).backgroundColor),
    ).toBe('rgb(0, 88, 111)');
    expect(await context.cookies()).toEqual([]);
  });

  it('speaks English when asked and keeps at most data-max lines', async () => {
    const portal = uniqueName('p');
    await open(portal, { lang: 'en', max: 2 });
    await postJob(portal);
    const shown = await untilBox('the posting in the box', (items) =>
      items.some((i) => i.kind === 'job.posted'),
    );
    expect(shown[0]).toMatchObject({ text: 'New job ad posted', time: 'just now' });
    expect(shown.length).toBeLessThanOrEqual(2);
    expect(await page.locator('.feedwerk-ticker h2').textContent()).toBe('Latest activity');
  });

  // How fast is a benchmark's question (npm run bench -- e2e / embedded report p50/p99): timed
  // assertions fail on a loaded machine without saying anything about the code.
  it('shows a new posting live, pushed without a reload or a poll of the page', async () => {
    const portal = uniqueName('p');
    await open(portal);
    // The page notes that the line appeared in the document it already has: no navigation happened.
    await page.evaluate(() => {
      const root = document.querySelector('.feedwerk-ticker')!.shadowRoot!;
      const w = window as unknown as { seenLive?: boolean };
      new MutationObserver(() => {
        if (root.querySelector('.fw-item[data-kind="job.posted"]')) w.seenLive = true;
      }).observe(root, { subtree: true, childList: true });
    });
    await postJob(portal);
    await waitFor(
      'the new posting in the open page',
      async () => (await shownItems(page)).some((i) => i.kind === 'job.posted'),
      { timeoutMs: 30_000 },
    );
    expect(await page.evaluate(() => (window as unknown as { seenLive?: boolean }).seenLive)).toBe(true);
  });

  it('renders a job titled <img src=x onerror=alert(1)> as text and runs no script', async () => {
    const portal = uniqueName('p');
    await open(portal);
    await postJob(portal, { title: '<img src=x onerror=alert(1)>' });
    await untilBox('the posting in the box', (items) => items.some((i) => i.kind === 'job.posted'));
    const images = await page.evaluate(() => ({
      page: document.querySelectorAll('img').length,
      box: document.querySelector('.feedwerk-ticker')!.shadowRoot!.querySelectorAll('img').length,
    }));
    expect(images).toEqual({ page: 0, box: 0 });
    expect(dialogs).toEqual([]);
  });

  it('passes the axe-core accessibility check with no violations', async () => {
    const portal = uniqueName('p');
    await postJob(portal);
    await open(portal);
    await untilBox('the posting in the box', (items) => items.some((i) => i.kind === 'job.posted'));
    expect(await axeViolations(page)).toEqual([]);
  });

  it('serves widget.js cross-origin, pinnable with SRI, with its size as docs/widget.md states', async () => {
    const script = await fetch(`${stack.tickerUrl}/widget.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(script.headers.get('access-control-allow-origin')).toBe('*');
    expect(script.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(script.headers.get('cache-control')).toMatch(/^public, max-age=\d+/);
    const body = Buffer.from(await script.arrayBuffer());
    const integrity = `sha384-${createHash('sha384').update(body).digest('base64')}`;

    const manifest = (await (await fetch(`${stack.tickerUrl}/widget.json`)).json()) as Record<
      string,
      unknown
    >;
    expect(manifest).toMatchObject({ integrity, bytes: body.length });
    const pinned = await fetch(`${stack.tickerUrl}/${String(manifest.immutableFile)}`);
    expect(pinned.headers.get('cache-control')).toContain('immutable');
    expect(Buffer.from(await pinned.arrayBuffer()).equals(body)).toBe(true);
    const unknown = await fetch(`${stack.tickerUrl}/widget/0000000000000000.js`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toContain('application/problem+json');
    const revalidated = await fetch(`${stack.tickerUrl}/widget.js`, {
      headers: { 'if-none-match': script.headers.get('etag')! },
    });
    expect(revalidated.status).toBe(304);

    const readme = await readFile(join(resolve(__dirname, '..'), 'docs/widget.md'), 'utf8');
    const stated = /<!-- widget-size -->([\d.]+) KiB gzipped/.exec(readme)?.[1];
    // Run `node scripts/build-widget.mjs --docs` when this fails after a change to the widget.
    expect(Math.abs(Number(stated) - Number(manifest.gzipBytes) / 1024)).toBeLessThanOrEqual(0.5);
  });

  it('runs when pinned with SRI, and is refused when the bytes do not match the pinned hash', async () => {
    const manifest = (await (await fetch(`${stack.tickerUrl}/widget.json`)).json()) as {
      immutableFile: string;
      integrity: string;
    };
    const portal = uniqueName('p');
    const pinned = { file: manifest.immutableFile, integrity: manifest.integrity };
    await page.goto(site.url({ portal, pinned }));
    await waitFor('the pinned box to go live', async () => (await boxStatus(page)) === 'live');

    const refused: string[] = [];
    page.on('console', (message) => refused.push(message.text()));
    const wrong = `sha384-${Buffer.alloc(48, 7).toString('base64')}`;
    await page.goto(site.url({ portal, pinned: { ...pinned, integrity: wrong } }));
    await waitFor('the browser to refuse the bundle', () => refused.some((text) => /integrity/i.test(text)));
    expect(await page.locator('.feedwerk-ticker').count()).toBe(0);
  });

  if (startStack === startEmbeddedStack) {
    it('sits on the demo page as a portal embeds it, under the page’s strict CSP with Trusted Types', async () => {
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      await page.goto(stack.apiUrl);
      await waitFor('the box to go live', async () => (await boxStatus(page)) === 'live', {
        timeoutMs: 30_000,
      });
      expect(await page.locator('aside script[src="/widget.js"] + .feedwerk-ticker').count()).toBe(1);
      await postJob('berlin');
      await untilBox('the posting in the demo box', (items) => items.some((i) => i.kind === 'job.posted'));
      expect(errors).toEqual([]);
      expect(await axeViolations(page)).toEqual([]);
    });

    it('lets a demo visitor register, post, update, refresh and close a job from the page', async () => {
      await page.goto(stack.apiUrl);
      await waitFor('the box to go live', async () => (await boxStatus(page)) === 'live', {
        timeoutMs: 30_000,
      });
      // The forms come filled with example values; a fresh employer each run.
      await page.fill('#employer-name', `Demo GmbH ${uniqueName('')}`);
      await page.click('#employer-form button[type="submit"]');
      await page.waitForSelector('#employer-registered:not([hidden])');
      await page.click('#job-form button[type="submit"]');
      await page.waitForSelector('#job-actions:not([hidden])');

      await page.click('#job-update');
      await untilBox('the update line', (items) => items.some((i) => i.kind === 'job.updated'));
      await page.click('#job-refresh');
      await untilBox('the refresh line', (items) => items.some((i) => i.kind === 'jobs.refreshed'));
      await page.click('#job-close');
      await waitFor('the close to be confirmed', async () =>
        (await page.locator('#job-actions-feedback').textContent())?.includes('Geschlossen.'),
      );
      expect(await page.locator('#job-update').isDisabled()).toBe(true);
      expect(await axeViolations(page)).toEqual([]);
    });
  }

  // Only the production layout has a ticker that restarts on its own while commands are accepted.
  if (startStack !== startDistributedStack) return;

  it('shows nothing on a page whose origin the ticker does not allow, and says so', async () => {
    const portal = uniqueName('p');
    await postJob(portal);
    // The same page, served as http://127.0.0.1:<port>: an origin not on TICKER_ALLOWED_ORIGINS.
    await page.goto(site.url({ portal }, '127.0.0.1'));
    await untilBox('the refusal', (_items, status) => status === 'reconnecting');
    expect(await shownItems(page)).toEqual([]);
    expect(await page.locator('.feedwerk-ticker .fw-empty').textContent()).toBe(
      'Aktivitäten werden geladen …',
    );
  });

  it('keeps correct lines across a ticker restart: postings made during the outage appear exactly once', async () => {
    const portal = uniqueName('p');
    // What the widget says and hears on its socket.io connections: a frame is "<packet types>/ticker,<ack id><json>".
    const frames: { sent: boolean; data: unknown }[] = [];
    page.on('websocket', (socket) => {
      const record = (sent: boolean) => (frame: { payload: string | Buffer }) => {
        const json = /^\d+(?:\/[^,[{]*,)?\d*([[{].*)$/s.exec(String(frame.payload))?.[1];
        if (json) frames.push({ sent, data: JSON.parse(json) });
      };
      socket.on('framesent', record(true));
      socket.on('framereceived', record(false));
    });
    const subscribes = () =>
      frames
        .filter((f) => f.sent && Array.isArray(f.data) && f.data[0] === 'ticker.subscribe')
        .map((f) => (f.data as [string, { since?: number }])[1]);
    const acks = () =>
      frames
        .filter((f) => !f.sent && Array.isArray(f.data) && (f.data[0] as { mode?: string })?.mode)
        .map((f) => (f.data as [{ mode: string; head: number }])[0]);

    await postJob(portal);
    await open(portal, { max: 20 });
    await untilBox('the first posting', (items) => postingsShown(items) === 1);
    expect(acks()).toEqual([expect.objectContaining({ mode: 'snapshot' })]);
    const changes = () =>
      frames
        .filter((f) => !f.sent && Array.isArray(f.data) && f.data[0] === 'ticker.change')
        .map((f) => (f.data as [string, { position: number }])[1].position);
    // Where the box stands: the snapshot's head, or a live change applied after it.
    const positionBefore = Math.max(acks()[0]!.head, ...changes());

    await stack.restartTicker!(async () => {
      await waitFor('the box to notice the outage', async () => (await boxStatus(page)) !== 'live');
      for (let i = 0; i < 3; i += 1) await postJob(portal);
    });
    const shown = await untilBox(
      'the three postings made during the outage',
      (items, status) => postingsShown(items) >= 4 && status === 'live',
      60_000,
    );
    // Every posting once: no line twice, no posting counted twice, nothing lost.
    const ids = shown.map((i) => i.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(postingsShown(shown)).toBe(4);
    // It resumed from where it was (no full resync): the missed changes, exactly.
    // ... in the generation its position belongs to.
    expect(subscribes().at(-1)).toMatchObject({ portal, since: positionBefore, generation: 1 });
    expect(acks().at(-1)).toMatchObject({ mode: 'changes' });

    // And the box stays live after the catch-up.
    await postJob(portal);
    await untilBox('a live posting after the restart', (items) => postingsShown(items) === 5);
    const after = await shownItems(page);
    expect(new Set(after.map((i) => i.id)).size).toBe(after.length);
  });
});
