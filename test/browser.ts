import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { Server as SocketServer } from 'socket.io';

const root = resolve(__dirname, '..');

/** Debian's chromium (apt-get install chromium), driven by playwright-core: no browser download. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}: the browser tests need a real Chromium. ` +
        "Install Debian's package (apt-get install chromium) or set CHROMIUM_PATH.",
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A build script's output in a fresh folder, removed by `remove`. */
async function buildInto(
  script: string,
  prefix: string,
): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  execFileSync(process.execPath, [join(root, script), dir], { stdio: 'ignore' });
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Builds the widget bundle into a fresh folder (what `npm run build` puts in dist/apps/ticker/public). */
export const buildWidget = () => buildInto('scripts/build-widget.mjs', 'feedwerk-widget-');

/**
 * Builds the admin page into a fresh folder (what `npm run build` puts in dist/apps/admin/public); an
 * app started from the sources serves it when ADMIN_PAGE_DIR names the folder.
 */
export const buildAdminPage = () => buildInto('scripts/build-admin-page.mjs', 'feedwerk-admin-page-');

export interface Embed {
  readonly portal: string;
  readonly lang?: 'de' | 'en';
  readonly max?: number;
  /** Render into the element with this id (data-target) instead of after the tag. */
  readonly target?: string;
  /** Load a pinned bundle (`widget/<hash>.js`) with this SRI hash instead of /widget.js. */
  readonly pinned?: { readonly file: string; readonly integrity: string };
}

/**
 * A partner's page on ANOTHER origin than the ticker (localhost vs 127.0.0.1, another port), with the
 * one tag and the strict CSP a partner would set: scripts and connections to the widget host only,
 * no inline styles, Trusted Types enforced. Started before the ticker (whose allow-list names this
 * page's origin); `use` tells it where the ticker runs.
 */
export async function startPartnerSite(tickerUrl?: string): Promise<{
  origin: (host?: PageHost) => string;
  use: (tickerUrl: string) => void;
  url: (embed: Embed, host?: PageHost) => string;
  close: () => Promise<void>;
}> {
  let ticker = tickerUrl ? new URL(tickerUrl) : null;
  const server: Server = createServer((request, response) => {
    const requested = new URL(request.url ?? '/', 'http://localhost');
    if (requested.pathname !== '/' || !ticker) {
      response.writeHead(404).end();
      return;
    }
    const csp =
      `default-src 'none'; script-src ${ticker.origin}; connect-src ${ticker.origin} ws://${ticker.host}; ` +
      "base-uri 'none'; require-trusted-types-for 'script'; trusted-types 'none'";
    const attr = (name: string) => (requested.searchParams.get(name) ?? '').replace(/[^a-z0-9._-]/gi, '');
    const target = attr('target');
    const file = /^widget\/[0-9a-f]{16}\.js$/.exec(requested.searchParams.get('file') ?? '')?.[0];
    const integrity = /^sha384-[A-Za-z0-9+/=]{64}$/.exec(requested.searchParams.get('integrity') ?? '')?.[0];
    const source =
      file && integrity
        ? `src="${ticker.origin}/${file}" integrity="${integrity}" crossorigin="anonymous"`
        : `src="${ticker.origin}/widget.js"`;
    const body = `<!doctype html>
<html lang="de">
  <head><meta charset="utf-8"><title>Partnerportal – Jobs</title></head>
  <body>
    <header><p>Partnerportal</p></header>
    <main><h1>Stellenmarkt</h1><p>Ein Artikel des Partners.</p>${target ? `<div id="${target}"><p class="fallback">Server-rendered box</p></div>` : ''}</main>
    <aside aria-label="Seitenleiste">
      <script ${source} data-portal="${attr('portal')}" data-lang="${attr('lang') || 'de'}" data-max="${attr('max') || '8'}"${target ? ` data-target="#${target}"` : ''}></script>
    </aside>
  </body>
</html>`;
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': csp });
    response.end(body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  const origin = (host: PageHost = 'localhost') => `http://${host}:${port}`;
  return {
    origin,
    use: (url) => {
      ticker = new URL(url);
    },
    url: ({ portal, lang = 'de', max = 8, target = '', pinned }, host) =>
      `${origin(host)}/?${new URLSearchParams({ portal, lang, max: String(max), target, ...pinned })}`,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/** The partner page is served under both names; the ticker runs on 127.0.0.1. */
export type PageHost = 'localhost' | '127.0.0.1';

export interface ShownItem {
  readonly id: string;
  readonly kind: string;
  readonly icon: string;
  readonly text: string;
  readonly detail: string;
  readonly time: string;
}

/** What the box shows, top to bottom, read from its shadow root. */
export function shownItems(page: Page): Promise<ShownItem[]> {
  return page.locator('.feedwerk-ticker .fw-item').evaluateAll((rows) =>
    rows.map((row) => {
      const li = row as HTMLElement;
      const text = (selector: string) => li.querySelector(selector)?.textContent ?? '';
      return {
        id: li.dataset.id ?? '',
        kind: li.dataset.kind ?? '',
        icon: text('.fw-icon'),
        text: text('.fw-text'),
        detail: text('.fw-detail'),
        time: text('.fw-time'),
      };
    }),
  );
}

export const boxStatus = (page: Page): Promise<string | null> =>
  page.locator('.feedwerk-ticker .fw-status').getAttribute('data-state');

/** Runs axe-core (its default rule set, shadow DOM included) on the page; each violation as one line. */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(await readFile(require.resolve('axe-core/axe.min.js'), 'utf8'));
  return page.evaluate(async () => {
    interface AxeResults {
      violations: { id: string; help: string; nodes: { target: unknown }[] }[];
    }
    const axe = (window as unknown as { axe: { run: (context: Document) => Promise<AxeResults> } }).axe;
    const results = await axe.run(document);
    return results.violations.map(
      (v) => `${v.id}: ${v.help} (${JSON.stringify(v.nodes.map((n) => n.target))})`,
    );
  });
}

/**
 * A ticker stand-in's HTTP server on loopback: the built widget bundle at /widget.js (any origin may
 * load it) and a socket.io server the test wires up. `url` is where both answer; closing `io` closes both.
 */
export async function serveWidget(widgetDir: string): Promise<{ io: SocketServer; url: string }> {
  const code = await readFile(join(widgetDir, 'widget.js'));
  const http = createServer((request, response) => {
    if (request.url !== '/widget.js') return; // socket.io answers its own path
    response.writeHead(200, {
      'content-type': 'text/javascript; charset=utf-8',
      'access-control-allow-origin': '*',
    });
    response.end(code);
  });
  const io = new SocketServer(http, { cors: { origin: true, credentials: false }, cookie: false });
  await new Promise<void>((done) => http.listen(0, '127.0.0.1', done));
  return { io, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}` };
}

/** A new browser context and page that record (and dismiss) every dialog the page opens. */
export async function pageRecordingDialogs(
  browser: Browser,
): Promise<{ context: BrowserContext; page: Page; dialogs: string[] }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  return { context, page, dialogs };
}
