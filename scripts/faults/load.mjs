// The bounded load: commands with unique markers and Idempotency-Keys, retried with the same key while the
// outcome is indeterminate (timeout, 5xx, connection error), and socket.io ticker clients that resume with
// their last position. Every operation is one JSON line {op, key, outcome: ok|fail|info, t, ...}.
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { io } = require('socket.io-client');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const PORTAL = 'berlin';

export class OpLog {
  constructor(file) {
    this.stream = createWriteStream(file, { flags: 'a' });
    this.entries = [];
  }
  write(entry) {
    const line = { ...entry, t: Date.now() };
    this.entries.push(line);
    this.stream.write(`${JSON.stringify(line)}\n`);
  }
  async close() {
    await new Promise((r) => this.stream.end(r));
  }
}

/** One HTTP attempt: the status and body, or null when the outcome cannot be known (no answer). */
async function attempt(url, method, path, body, headers) {
  try {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(5_000),
    });
    const text = await res.text();
    let json = null;
    try {
      json = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: json };
  } catch (error) {
    return { status: null, error: error?.cause?.code ?? error?.name ?? String(error) };
  }
}

const definite = (r) => r.status !== null && r.status < 500 && r.status !== 429 && r.status !== 409;

export class CommandLoad {
  /** @param {{ apis: string[], log: OpLog, run: string, ratePerSec: number, retryForMs: number }} options */
  constructor(options) {
    Object.assign(this, options);
    this.employers = [];
    this.jobs = [];
    this.n = 0;
    this.inFlight = new Set();
    this.running = false;
    this.apiIndex = 0;
    this.counts = { ok: 0, fail: 0, info: 0, attempts: 0, non2xx: {} };
  }

  nextApi() {
    this.apiIndex = (this.apiIndex + 1) % this.apis.length;
    return this.apis[this.apiIndex];
  }

  /**
   * Sends a command until its outcome is definite or `retryForMs` has passed; each indeterminate answer is
   * retried with the same Idempotency-Key (on the next api instance). Returns the last answer.
   */
  async command(op, method, path, body, headers, { idempotent = true } = {}) {
    const key = `${this.run}-${++this.n}`;
    const marker = key;
    const deadline = Date.now() + this.retryForMs;
    const allHeaders = { ...headers, ...(idempotent ? { 'idempotency-key': key } : {}) };
    const built = body(marker);
    let last;
    let tries = 0;
    for (;;) {
      tries += 1;
      this.counts.attempts += 1;
      last = await attempt(this.nextApi(), method, path, built, allHeaders);
      if (last.status !== null && last.status >= 300) {
        const k = String(last.status);
        this.counts.non2xx[k] = (this.counts.non2xx[k] ?? 0) + 1;
      }
      if (definite(last) || !idempotent || Date.now() > deadline) break;
      await sleep(Math.min(2_000, 100 * 2 ** tries) * (0.5 + Math.random() / 2));
    }
    const outcome =
      last.status !== null && last.status >= 200 && last.status < 300
        ? 'ok'
        : definite(last)
          ? 'fail'
          : 'info';
    this.counts[outcome] += 1;
    this.log.write({ op, key, marker, outcome, status: last.status, tries, error: last.error });
    return { outcome, body: last.body, marker };
  }

  async registerEmployer() {
    // POST /employers refuses an Idempotency-Key (it would have to store the API key): one attempt,
    // and an unanswered one is `info` (0 or 1 events).
    const r = await this.command(
      'employer',
      'POST',
      '/employers',
      (m) => ({ name: `Firma ${m}`, website: 'https://faults.example.org', city: 'Berlin' }),
      {},
      { idempotent: false },
    );
    if (r.outcome === 'ok') this.employers.push({ id: r.body.employerId, apiKey: r.body.apiKey });
  }

  async postJob() {
    const employer = this.employers[Math.floor(Math.random() * this.employers.length)];
    if (!employer) return this.registerEmployer();
    const r = await this.command(
      'post',
      'POST',
      '/jobs',
      (m) => ({
        title: `Stelle ${m}`,
        description: 'Eine Stelle aus dem Fehlertest, mit genug Text.',
        location: { city: 'Berlin', region: 'Berlin', postcode: '10997' },
        category: 'pflege',
        employmentType: 'full-time',
        portal: PORTAL,
      }),
      { authorization: `Bearer ${employer.apiKey}` },
    );
    if (r.outcome === 'ok')
      this.jobs.push({ id: r.body.jobId, version: r.body.version, employer, busy: false });
  }

  async updateJob() {
    const free = this.jobs.filter((j) => !j.busy);
    const job = free[Math.floor(Math.random() * free.length)];
    if (!job) return this.postJob();
    job.busy = true;
    try {
      const r = await this.command('update', 'PATCH', `/jobs/${job.id}`, (m) => ({ title: `Neu ${m}` }), {
        authorization: `Bearer ${job.employer.apiKey}`,
        'if-match': `"${job.version}"`,
      });
      if (r.outcome === 'ok') job.version = r.body.version;
      // An unknown outcome leaves the version unknown: the job is not updated again.
      else if (r.outcome === 'info') this.jobs.splice(this.jobs.indexOf(job), 1);
    } finally {
      job.busy = false;
    }
  }

  one() {
    const x = Math.random();
    if (x < 0.08 || this.employers.length < 3) return this.registerEmployer();
    if (x < 0.6) return this.postJob();
    return this.updateJob();
  }

  start() {
    this.running = true;
    this.loop = (async () => {
      const interval = 1000 / this.ratePerSec;
      let next = Date.now();
      while (this.running) {
        // Bounded: when answers stall, at most 4 s worth of commands wait.
        if (this.inFlight.size < this.ratePerSec * 4) {
          const p = this.one().catch((error) =>
            this.log.write({ op: 'harness', outcome: 'info', error: String(error) }),
          );
          this.inFlight.add(p);
          void p.finally(() => this.inFlight.delete(p));
        }
        next += interval;
        await sleep(Math.max(0, next - Date.now()));
      }
    })();
  }

  /** Stops starting commands and waits for the pending ones (their retries are bounded). */
  async stop() {
    this.running = false;
    await this.loop;
    await Promise.all([...this.inFlight]);
  }
}

/**
 * One ticker client: subscribes to the berlin box, checks every change position is the next one, and on a
 * disconnect resumes (on the next node) with `since` = its last position. Positions are the feed's gapless
 * positions; the load's items all match the berlin box, so a client must see every position after its first
 * snapshot's head.
 */
export class TickerClient {
  constructor(id, urls, startIndex, { transports = ['websocket'] } = {}) {
    this.id = id;
    this.urls = urls;
    this.transports = transports;
    this.nodeIndex = startIndex;
    this.last = null;
    this.generation = undefined;
    this.stats = { gaps: 0, dups: 0, resyncs: 0, reconnects: 0, received: 0, snapshots: 0, errors: 0 };
    /** Resyncs by the reason the node gave (`slow-client`, `rebuilt`). */
    this.resyncReasons = {};
    /** [received at, ms since the item's event] of every live upsert: delivery latency (F15). */
    this.latencies = [];
    this.closed = false;
    this.socket = null;
    this.lost = [];
  }

  connect(delayMs = 0) {
    if (this.closed) return;
    setTimeout(() => {
      if (this.closed) return;
      const url = this.urls[this.nodeIndex % this.urls.length];
      const socket = io(`${url}/ticker`, {
        transports: this.transports,
        reconnection: false,
        timeout: 5_000,
      });
      this.socket = socket;
      socket.on('connect', () => this.subscribe(socket));
      socket.on('ticker.change', (change) => {
        if (change.op === 'upsert')
          this.latencies.push([Date.now(), Date.now() - Date.parse(change.item.at)]);
        this.change(change);
      });
      socket.on('ticker.resync', (message) => {
        this.stats.resyncs += 1;
        const reason = message?.reason ?? 'unknown';
        this.resyncReasons[reason] = (this.resyncReasons[reason] ?? 0) + 1;
        this.last = null;
        this.subscribe(socket);
      });
      const again = () => {
        socket.removeAllListeners();
        socket.close();
        if (this.closed || this.socket !== socket) return;
        this.stats.reconnects += 1;
        this.nodeIndex += 1; // fail over to the other node
        this.connect(200 + Math.random() * 800);
      };
      socket.on('connect_error', () => {
        this.stats.errors += 1;
        again();
      });
      socket.on('disconnect', (reason) => {
        if (reason !== 'io client disconnect') again();
      });
    }, delayMs);
  }

  subscribe(socket) {
    const request = { portal: 'berlin', lang: 'de' };
    if (this.last !== null) Object.assign(request, { since: this.last, generation: this.generation });
    socket.timeout(10_000).emit('ticker.subscribe', request, (error, ack) => {
      if (error || !ack?.ok) {
        this.stats.errors += 1;
        socket.disconnect();
        if (!this.closed) {
          this.nodeIndex += 1;
          this.connect(500);
        }
        return;
      }
      this.generation = ack.generation;
      if (ack.mode === 'snapshot') {
        if (this.last !== null) this.stats.resyncs += 1; // a resume answered with a snapshot
        this.stats.snapshots += 1;
        this.last = ack.head;
        this.first ??= ack.head;
      } else {
        for (const change of ack.changes) this.change(change);
        if (ack.head > this.last) {
          // Changes past `since` up to the head that match the box were all sent; a head beyond them would be a gap.
          this.lost.push([this.last, ack.head]);
          this.stats.gaps += ack.head - this.last;
          this.last = ack.head;
        }
      }
    });
  }

  change(change) {
    this.stats.received += 1;
    if (this.last === null) return;
    if (change.position <= this.last) this.stats.dups += 1;
    else {
      if (change.position > this.last + 1) {
        this.stats.gaps += change.position - this.last - 1;
        this.lost.push([this.last, change.position]);
      }
      this.last = change.position;
    }
  }

  /**
   * A client that stops reading (F15), long-polling only: engine.io-client's `pause` lets the pending poll
   * finish and sends no further one, so the node's transport stays unwritable and its queue for this
   * client grows, as behind a full TCP window. (Over WebSocket the kernel absorbs megabytes first: Linux
   * grows the sender's socket buffer towards tcp_wmem's 4 MB, minutes of ticker traffic per client.)
   */
  stopReading() {
    this.socket?.io?.engine?.transport?.pause(() => undefined);
  }

  resumeReading() {
    const transport = this.socket?.io?.engine?.transport;
    if (transport?.readyState !== 'paused') return;
    transport.readyState = 'open';
    transport._poll();
  }

  close() {
    this.closed = true;
    this.socket?.removeAllListeners();
    this.socket?.close();
  }
}

export class TickerLoad {
  constructor(urls, count, options = {}) {
    this.clients = Array.from({ length: count }, (_, i) => new TickerClient(randomUUID(), urls, i, options));
  }
  start() {
    // Spread over a second, so that a few hundred handshakes do not arrive at once.
    this.clients.forEach((c, i) => c.connect((i * 1000) / this.clients.length));
  }
  ready() {
    return this.clients.every((c) => c.last !== null);
  }
  atHead(head) {
    return this.clients.filter((c) => c.last !== head).length;
  }
  close() {
    for (const c of this.clients) c.close();
  }
}
