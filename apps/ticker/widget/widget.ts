import type { TickerProtocol } from '@feedwerk/contracts';
import { io, type Socket } from 'socket.io-client';
import { TickerBox } from './box';
import { TickerView } from './view';
import { type Lang, parseAck, parseChange, parseResync, type SubscribeAck, type TickerChange } from './wire';

/**
 * The embeddable box "Neueste Aktivitäten":
 *   <script src="https://HOST/widget.js" data-portal="berlin" data-lang="de" data-max="8"></script>
 * renders where the tag stands (or into `data-target`, a CSS selector), in a shadow root, and keeps
 * itself live over socket.io (namespace /ticker on the host the script came from). It reconnects and
 * resumes from the last feed position it applied; the server answers with exactly the missed changes,
 * or a snapshot that replaces the box. No cookies, no storage, no credentials are sent.
 */

declare const __FEEDWERK_WIDGET_VERSION__: string;
const VERSION = typeof __FEEDWERK_WIDGET_VERSION__ === 'string' ? __FEEDWERK_WIDGET_VERSION__ : 'dev';

const EVENTS = {
  subscribe: 'ticker.subscribe',
  change: 'ticker.change',
  resync: 'ticker.resync',
} as const satisfies Pick<typeof TickerProtocol, 'subscribe' | 'change' | 'resync'>;

const NAMESPACE: (typeof TickerProtocol)['namespace'] = '/ticker';
const DEFAULT_MAX = 8;
const MAX_LIMIT = 50;
const ACK_TIMEOUT_MS = 10_000;
const RETRY_MIN_MS = 2_000;
const RETRY_MAX_MS = 60_000;
const REFRESH_TIMES_MS = 30_000;
const MARK = 'data-feedwerk-widget';

interface Options {
  readonly origin: string;
  readonly portal: string;
  readonly lang: Lang;
  readonly max: number;
  readonly types: string[] | undefined;
  readonly region: string | undefined;
  readonly category: string | undefined;
}

const jitter = (ms: number) => ms / 2 + Math.random() * (ms / 2);

function readOptions(script: HTMLScriptElement): Options | null {
  const data = script.dataset;
  const portal = data.portal?.trim();
  if (!portal) {
    console.warn('feedwerk widget: data-portal is missing, nothing to show');
    return null;
  }
  const max = Number.parseInt(data.max ?? '', 10);
  const list = (value: string | undefined) =>
    value
      ?.split(',')
      .map((part) => part.trim())
      .filter(Boolean);
  return {
    // The script's own origin serves the ticker: a partner page needs no further configuration.
    origin: new URL(script.src, document.baseURI).origin,
    portal,
    lang: data.lang?.trim().toLowerCase() === 'en' ? 'en' : 'de',
    max: Number.isFinite(max) ? Math.min(MAX_LIMIT, Math.max(1, max)) : DEFAULT_MAX,
    types: list(data.types),
    region: data.region?.trim() || undefined,
    category: data.category?.trim() || undefined,
  };
}

/**
 * Where the box goes: into the element named by data-target, replacing what it held (the
 * server-rendered snapshot for visitors without JavaScript), else right after the tag (the body
 * if the tag sits in <head>).
 */
function placeHost(script: HTMLScriptElement): HTMLElement {
  const host = document.createElement('div');
  host.className = 'feedwerk-ticker';
  const selector = script.dataset.target;
  let target: Element | null = null;
  if (selector) {
    try {
      target = document.querySelector(selector);
    } catch {
      console.warn(`feedwerk widget: data-target "${selector}" is not a valid selector`);
    }
  }
  if (target) target.replaceChildren(host);
  else if (script.parentElement && script.parentElement !== document.head) script.after(host);
  else if (document.body) document.body.append(host);
  else document.addEventListener('DOMContentLoaded', () => document.body.append(host), { once: true });
  return host;
}

class TickerWidget {
  private readonly box: TickerBox;
  private readonly view: TickerView;
  private readonly socket: Socket;
  /** Identifies the subscribe request whose answer counts; older answers are dropped. */
  private request = 0;
  private pending = false;
  /** Live changes that arrived while a subscribe was in flight: applied after its answer. */
  private held: TickerChange[] = [];
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private retryDelay = RETRY_MIN_MS;
  /**
   * The feed generation the box's position belongs to (from the last ack). Sent with `since`: a
   * rebuild renumbers the feed, and the server answers a position of another generation with a
   * snapshot instead of changes.
   */
  private generation: number | undefined;

  constructor(
    host: HTMLElement,
    private readonly options: Options,
  ) {
    // Items beyond `max` are kept in reserve so that a retracted line is replaced, not left as a hole.
    this.box = new TickerBox(Math.min(MAX_LIMIT, options.max * 2));
    this.view = new TickerView(host, options.lang);
    this.socket = io(`${options.origin}${NAMESPACE}`, {
      // WebSocket first (one connection, no sticky sessions needed); long-polling where a proxy blocks it.
      transports: ['websocket', 'polling'],
      tryAllTransports: true,
      withCredentials: false,
    });
    this.socket.on('connect', () => this.subscribe());
    this.socket.on('disconnect', (reason) => {
      this.invalidate();
      this.view.setStatus('reconnecting');
      // The server closed this socket on purpose (e.g. it was too slow): socket.io does not retry that by itself.
      if (reason === 'io server disconnect') {
        this.retryTimer = setTimeout(() => this.socket.connect(), jitter(RETRY_MIN_MS));
      }
    });
    this.socket.on('connect_error', () => this.view.setStatus('reconnecting'));
    this.socket.on(EVENTS.change, (raw: unknown) => this.onChange(raw));
    // The server cannot continue this socket's feed (it fell behind, or the projection was rebuilt:
    // then the positions held mean nothing any more). A fresh snapshot replaces the box.
    this.socket.on(EVENTS.resync, (raw: unknown) => {
      // The generation of the next ack counts; until then no position is resumed from.
      if (parseResync(raw).reason === 'rebuilt') this.generation = undefined;
      this.subscribe(true);
    });
    setInterval(() => this.view.refreshTimes(), REFRESH_TIMES_MS);
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') this.view.refreshTimes();
    });
  }

  private invalidate(): void {
    clearTimeout(this.retryTimer);
    this.request += 1;
    this.pending = false;
    this.held = [];
  }

  /** Subscribes (again): from the remembered position, or for a fresh snapshot when `fresh` or none is known. */
  private subscribe(fresh = false): void {
    this.invalidate();
    const id = this.request;
    this.pending = true;
    const since = fresh ? null : this.box.position;
    const { portal, lang, max, types, region, category } = this.options;
    const request = {
      portal,
      lang,
      limit: Math.min(MAX_LIMIT, max * 2),
      ...(types ? { types } : {}),
      ...(region ? { region } : {}),
      ...(category ? { category } : {}),
      ...(since !== null ? { since } : {}),
      ...(since !== null && this.generation !== undefined ? { generation: this.generation } : {}),
    };
    this.socket.timeout(ACK_TIMEOUT_MS).emit(EVENTS.subscribe, request, (err: Error | null, raw: unknown) => {
      if (id !== this.request) return; // answer to a request that was superseded or lost with its connection
      this.pending = false;
      const ack = err ? null : parseAck(raw);
      if (!ack || !ack.ok) {
        if (ack && !ack.ok) console.warn(`feedwerk widget: ticker refused the subscription: ${ack.error}`);
        this.view.setStatus('error');
        this.retryLater();
        return;
      }
      this.retryDelay = RETRY_MIN_MS;
      this.onAck(ack);
    });
  }

  private retryLater(): void {
    if (!this.socket.connected) return;
    this.retryTimer = setTimeout(() => this.subscribe(), jitter(this.retryDelay));
    this.retryDelay = Math.min(RETRY_MAX_MS, this.retryDelay * 2);
  }

  private onAck(ack: Extract<SubscribeAck, { ok: true }>): void {
    const hadItems = this.box.position !== null;
    this.generation = ack.generation;
    if (ack.mode === 'snapshot') {
      this.box.replace(ack.items, ack.head);
    } else {
      for (const change of ack.changes) this.box.apply(change);
      this.box.advance(ack.head);
    }
    for (const change of this.held) this.box.apply(change);
    this.held = [];
    this.view.render(this.box.visible(this.options.max), hadItems && ack.mode === 'changes');
    this.view.setStatus('live');
  }

  private onChange(raw: unknown): void {
    const change = parseChange(raw);
    if (!change) return;
    if (this.pending) {
      this.held.push(change);
      return;
    }
    if (this.box.apply(change)) this.view.render(this.box.visible(this.options.max), true);
  }
}

function start(script: HTMLScriptElement): void {
  if (script.hasAttribute(MARK)) return;
  script.setAttribute(MARK, VERSION);
  const options = readOptions(script);
  if (!options) return;
  new TickerWidget(placeHost(script), options);
}

// document.currentScript is this tag while it runs (also with async/defer); tags that loaded the
// file once more, or a script injected without it, are found by their attributes.
const current = document.currentScript;
if (current instanceof HTMLScriptElement && current.dataset.portal !== undefined) start(current);
else
  document
    .querySelectorAll<HTMLScriptElement>(`script[src*="widget"][data-portal]:not([${MARK}])`)
    .forEach(start);
