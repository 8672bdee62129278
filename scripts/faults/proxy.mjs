// A loopback TCP proxy in front of one dependency (PostgreSQL or Kafka), with the faults real networks have:
//   pass       forward both ways
//   delay      forward, each chunk held back `delayMs`
//   blackhole  accept and hold connections, forward nothing (a dead peer that never answers)
//   reset      destroy every open connection with a TCP RST, and each new one at once
//   refuse     stop listening (connection refused), open connections are reset
import net from 'node:net';

export class FaultProxy {
  /** @param {{ name: string, target: () => number, port?: number }} options target: the upstream port now */
  constructor(options) {
    this.name = options.name;
    this.target = options.target;
    this.port = options.port ?? 0;
    this.mode = 'pass';
    this.delayMs = 0;
    this.pairs = new Set();
    this.server = null;
  }

  async start() {
    await this.listen();
    return this.port;
  }

  async listen() {
    if (this.server) return;
    const server = net.createServer((client) => this.accept(client));
    this.server = server;
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.port = server.address().port;
  }

  async unlisten() {
    const server = this.server;
    this.server = null;
    if (server) await new Promise((resolve) => server.close(() => resolve()));
  }

  accept(client) {
    client.setNoDelay(true);
    const pair = { client, upstream: null, held: [] };
    this.pairs.add(pair);
    client.on('error', () => undefined);
    client.on('close', () => {
      pair.upstream?.destroy();
      this.pairs.delete(pair);
    });
    if (this.mode === 'reset') {
      client.resetAndDestroy();
      return;
    }
    let port;
    try {
      port = this.target();
    } catch {
      port = NaN;
    }
    if (!Number.isInteger(port) || port <= 0) {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(port, '127.0.0.1');
    upstream.setNoDelay(true);
    pair.upstream = upstream;
    upstream.on('error', () => client.resetAndDestroy());
    upstream.on('close', () => client.destroy());
    const forward = (from, to) =>
      from.on('data', (chunk) => {
        if (this.mode === 'blackhole') return; // swallowed: the peer just never answers
        if (this.mode === 'delay' && this.delayMs > 0) {
          from.pause();
          setTimeout(() => {
            if (!to.destroyed) to.write(chunk);
            from.resume();
          }, this.delayMs);
        } else if (!to.destroyed) {
          to.write(chunk);
        }
      });
    forward(client, upstream);
    forward(upstream, client);
  }

  resetAll() {
    for (const pair of this.pairs) {
      pair.client.resetAndDestroy();
      pair.upstream?.destroy();
    }
    this.pairs.clear();
  }

  /** @param {'pass'|'delay'|'blackhole'|'reset'|'refuse'} mode */
  async set(mode, { delayMs = 0 } = {}) {
    this.mode = mode;
    this.delayMs = delayMs;
    if (mode === 'reset' || mode === 'refuse') this.resetAll();
    if (mode === 'refuse') await this.unlisten();
    else await this.listen();
  }

  async stop() {
    this.resetAll();
    await this.unlisten();
  }
}
