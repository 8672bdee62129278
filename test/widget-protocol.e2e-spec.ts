import { renderedJobItem, waitFor } from '@feedwerk/testing';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { Server, type Socket } from 'socket.io';
import {
  boxStatus,
  buildWidget,
  launchChromium,
  pageRecordingDialogs,
  serveWidget,
  shownItems,
  startPartnerSite,
} from './browser';

/**
 * The widget against a scripted ticker: a real socket.io server speaking protocol v1 whose answers the
 * test chooses, so the client's rules (text only, in-place updates, retraction, resume, resync) are
 * exercised exactly, including answers the real server would never send (hostile text).
 * widget.e2e-spec.ts runs the same widget against the real service.
 */

interface Subscribe {
  portal: string;
  lang?: string;
  limit?: number;
  since?: number;
}
type Answer = (request: Subscribe) => unknown;

let n = 0;
const item = (order: number, extra: Record<string, unknown> = {}) => ({
  ...renderedJobItem(order, { at: new Date().toISOString() }),
  ...extra,
});

describe('the widget applies ticker protocol v1 exactly (scripted ticker, real Chromium)', () => {
  let widget: Awaited<ReturnType<typeof buildWidget>>;
  let browser: Browser;
  let io: Server;
  let site: Awaited<ReturnType<typeof startPartnerSite>>;
  let answer: Answer;
  const requests: Subscribe[] = [];
  const sockets: Socket[] = [];
  let context: BrowserContext;
  let page: Page;
  let dialogs: string[];

  beforeAll(async () => {
    browser = await launchChromium();
    widget = await buildWidget();
    const served = await serveWidget(widget.dir);
    io = served.io;
    io.of('/ticker').on('connection', (socket) => {
      sockets.push(socket);
      socket.on('ticker.subscribe', (request: Subscribe, ack: (answer: unknown) => void) => {
        requests.push(request);
        ack(answer(request));
      });
    });
    site = await startPartnerSite(served.url);
  });

  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await new Promise<void>((done) => (io ? void io.close(() => done()) : done()));
    await widget?.remove();
  });

  beforeEach(async () => {
    requests.length = 0;
    sockets.length = 0;
    ({ context, page, dialogs } = await pageRecordingDialogs(browser));
  });
  afterEach(() => context.close());

  const open = async (max = 8) => {
    await page.goto(site.url({ portal: `p${(n += 1)}`, max }));
    await waitFor('the box to go live', async () => (await boxStatus(page)) === 'live');
  };
  const texts = async () => (await shownItems(page)).map((i) => `${i.text}|${i.detail}`);
  const orders = async () => (await shownItems(page)).map((i) => Number(i.id.slice(-12)));
  const live = (change: unknown) => sockets.forEach((s) => s.emit('ticker.change', change));

  it('renders hostile text as text: no element is created from it and no script runs', async () => {
    const hostile = '<img src=x onerror=alert(1)>';
    answer = () => ({
      ok: true,
      mode: 'snapshot',
      head: 2,
      items: [
        item(2, { text: hostile, detail: '<script>alert(2)</script>', icon: '<b>!</b>' }),
        item(1, { text: '"><svg onload=alert(3)>' }),
      ],
    });
    await open();
    live({
      op: 'upsert',
      position: 3,
      item: item(3, { text: '<iframe srcdoc="<script>alert(4)</script>">' }),
    });
    await waitFor('the live item', async () => (await shownItems(page)).length === 3);

    const shown = await shownItems(page);
    expect(shown.map((i) => i.text)).toEqual([
      '<iframe srcdoc="<script>alert(4)</script>">',
      hostile,
      '"><svg onload=alert(3)>',
    ]);
    expect(shown[1]).toMatchObject({ icon: '<b>!</b>', detail: '<script>alert(2)</script>' });
    const elements = await page.locator('.feedwerk-ticker').evaluate((host) => {
      const root = host.shadowRoot!;
      return Array.from(root.querySelectorAll('*'), (el) => el.localName);
    });
    expect(elements.filter((name) => ['img', 'svg', 'script', 'iframe', 'b'].includes(name))).toEqual([]);
    expect(dialogs).toEqual([]);
  });

  it('adds, updates in place and retracts lines, showing at most data-max', async () => {
    answer = () => ({ ok: true, mode: 'snapshot', head: 4, items: [4, 3, 2, 1].map((o) => item(o)) });
    await open(3);
    expect(await orders()).toEqual([4, 3, 2]);
    expect(requests[0]).toMatchObject({ lang: 'de', limit: 6 });
    expect(requests[0]).not.toHaveProperty('since');

    // A burst grows in place: same id, same order, new text; the box neither moves nor duplicates it.
    live({
      op: 'upsert',
      position: 5,
      item: item(3, {
        position: 5,
        kind: 'jobs.burst',
        icon: null,
        text: 'Neue Jobangebote verfügbar',
        count: 4,
        detail: '4 neue Stellenanzeigen',
      }),
    });
    await waitFor('the burst update', async () =>
      (await texts()).includes('Neue Jobangebote verfügbar|4 neue Stellenanzeigen'),
    );
    expect(await orders()).toEqual([4, 3, 2]);

    live({ op: 'upsert', position: 6, item: item(6) });
    await waitFor('the new line on top', async () => (await orders())[0] === 6);
    expect(await orders()).toEqual([6, 4, 3]);

    // Retracting a shown line brings back the next one from the reserve instead of leaving a hole.
    live({ op: 'retract', position: 7, id: item(4).id });
    await waitFor('the retraction', async () => !(await orders()).includes(4));
    expect(await orders()).toEqual([6, 3, 2]);

    // A change delivered again (same position) is applied once.
    live({ op: 'upsert', position: 6, item: item(6) });
    live({ op: 'upsert', position: 8, item: item(8) });
    await waitFor('the next line', async () => (await orders())[0] === 8);
    expect(await orders()).toEqual([8, 6, 3]);
  });

  it('resumes from the last applied position after a reconnect, and replaces the box on resync', async () => {
    answer = () => ({ ok: true, mode: 'snapshot', head: 10, items: [item(2), item(1)] });
    await open();
    live({ op: 'upsert', position: 11, item: item(11) });
    await waitFor('the live line', async () => (await orders())[0] === 11);

    answer = (request) => ({
      ok: true,
      mode: 'changes',
      head: 14,
      changes:
        request.since === 11
          ? [
              { op: 'upsert', position: 12, item: item(12) },
              { op: 'retract', position: 13, id: item(2).id },
            ]
          : [],
    });
    // The connection drops (as when a ticker node goes away): the widget reconnects by itself.
    sockets.splice(0).forEach((s) => s.conn.close());
    await waitFor('the catch-up', async () => (await orders()).join() === '12,11,1', { timeoutMs: 30_000 });
    expect(requests[1]).toMatchObject({ since: 11 });

    live({ op: 'upsert', position: 15, item: item(15) });
    await waitFor('a live line after the catch-up', async () => (await orders())[0] === 15);

    answer = () => ({ ok: true, mode: 'snapshot', head: 40, items: [item(40), item(39)] });
    sockets.forEach((s) => s.emit('ticker.resync', { reason: 'rebuilt', head: 40 }));
    await waitFor('the new snapshot', async () => (await orders()).join() === '40,39');
    expect(requests.at(-1)).not.toHaveProperty('since');
    expect(await boxStatus(page)).toBe('live');
  });

  it('shows relative times and refreshes them as time passes', async () => {
    await page.clock.install();
    const at = new Date(Date.now() - 90_000).toISOString();
    answer = () => ({ ok: true, mode: 'snapshot', head: 1, items: [item(1, { at })] });
    await open();
    expect((await shownItems(page))[0]!.time).toBe('vor 2 Minuten');
    await page.clock.fastForward('03:00');
    await waitFor('the refreshed time', async () => (await shownItems(page))[0]!.time === 'vor 5 Minuten');
  });

  it('flashes a new line, except for visitors who ask for reduced motion', async () => {
    answer = () => ({ ok: true, mode: 'snapshot', head: 1, items: [item(1)] });
    const animation = async () => {
      await open();
      live({ op: 'upsert', position: 2, item: item(2) });
      await waitFor('the new line', async () => (await orders())[0] === 2);
      return page
        .locator('.feedwerk-ticker .fw-item')
        .first()
        .evaluate((li) => getComputedStyle(li).animationName);
    };
    expect(await animation()).toBe('fw-flash');
    await page.emulateMedia({ reducedMotion: 'reduce' });
    expect(await animation()).toBe('none');
  });

  it('renders into the element named by data-target, replacing its fallback content', async () => {
    answer = () => ({ ok: true, mode: 'snapshot', head: 1, items: [item(1)] });
    await page.goto(site.url({ portal: 'targeted', target: 'box' }));
    await waitFor('the box to go live', async () => (await boxStatus(page)) === 'live');
    expect(
      await page.locator('#box > *').evaluateAll((els) => els.map((el) => el.getAttribute('class'))),
    ).toEqual(['feedwerk-ticker']);
  });

  it('falls back to HTTP long-polling where WebSockets are blocked, within the CSP docs/widget.md names', async () => {
    await page.addInitScript(() => {
      // As behind a proxy that refuses upgrades: every WebSocket fails as it opens.
      class RefusedWebSocket extends EventTarget {
        readyState = 3;
        onerror: ((event: Event) => void) | null = null;
        onclose: ((event: CloseEvent) => void) | null = null;
        constructor() {
          super();
          setTimeout(() => {
            this.onerror?.(new Event('error'));
            this.onclose?.(new CloseEvent('close', { code: 1006 }));
          }, 10);
        }
        send(): void {}
        close(): void {}
      }
      Object.defineProperty(window, 'WebSocket', { value: RefusedWebSocket });
    });
    answer = () => ({ ok: true, mode: 'snapshot', head: 1, items: [item(1)] });
    await open();
    live({ op: 'upsert', position: 2, item: item(2) });
    await waitFor('a live line over polling', async () => (await orders())[0] === 2);
    expect(sockets[0]!.conn.transport.name).toBe('polling');
  });

  it('sets no cookie and stores nothing in the visitor’s browser', async () => {
    answer = () => ({ ok: true, mode: 'snapshot', head: 1, items: [item(1)] });
    await open();
    expect(await context.cookies()).toEqual([]);
    expect(await page.evaluate(() => [localStorage.length, sessionStorage.length])).toEqual([0, 0]);
  });

  it('says so when the ticker refuses, and keeps trying', async () => {
    answer = () => ({ ok: false, error: 'temporarily unavailable, retry' });
    await page.goto(site.url({ portal: 'refused' }));
    await waitFor('the error state', async () => (await boxStatus(page)) === 'error');
    answer = () => ({ ok: true, mode: 'snapshot', head: 1, items: [item(1)] });
    await waitFor('the retry', async () => (await boxStatus(page)) === 'live', { timeoutMs: 30_000 });
    expect((await shownItems(page)).length).toBe(1);
  });
});
