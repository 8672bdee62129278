// A thin socket.io client for load: raw websockets (`ws`) speaking engine.io v4 / socket.io v5 frames
// directly, so that 10,000 connections fit in one load process. Per connection it keeps a WebSocket and
// a few numbers; it never builds socket.io's client objects or parses a message it only counts.
//
// Frames: "0{…}" engine open → we send "40/ns,"; "40/ns,{sid}" namespace connected; "2" ping → "3" pong;
// "42/ns,[event,…]" an event; "43/ns,<id>[…]" the ack of our emit with id <id>.
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';

/** Wall-clock milliseconds with sub-millisecond resolution (comparable with Date.now() in other processes). */
export const now = () => performance.timeOrigin + performance.now();

/**
 * Opens `count` clients on `url` (http://host:port) in namespace `namespace`, `concurrency` handshakes at
 * a time. `subscribe` (optional) is emitted with an ack right after the namespace connects; the promise
 * resolves when every client is connected (and subscribed). `onEvent(text, client)` gets every "42…"
 * frame as a string; `onAck(body, client)` the subscribe ack's JSON text.
 */
export async function openClients({
  url,
  namespace,
  count,
  concurrency = 200,
  subscribe,
  onEvent = () => {},
  onAck = () => {},
  headers = {},
}) {
  const wsUrl = `${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
  const connectFrame = `40${namespace},`;
  const eventPrefix = `42${namespace},`;
  const ackPrefix = `43${namespace},`;
  const clients = [];
  let failed = 0;
  const openOne = (index) =>
    new Promise((resolve) => {
      const client = { index, ws: null, ready: false, closed: false };
      const ws = new WebSocket(wsUrl, { perMessageDeflate: false, headers });
      client.ws = ws;
      let settled = false;
      const done = (ok) => {
        if (settled) return;
        settled = true;
        if (!ok) failed += 1;
        resolve(client);
      };
      ws.on('message', (data) => {
        const text = data.toString();
        const type = text.charCodeAt(0);
        if (type === 50 /* '2' ping */) {
          ws.send('3');
          return;
        }
        if (type === 48 /* '0' open */) {
          ws.send(connectFrame);
          return;
        }
        if (text.startsWith(eventPrefix)) {
          onEvent(text, client);
          return;
        }
        if (text.startsWith(connectFrame)) {
          if (!subscribe) {
            client.ready = true;
            done(true);
            return;
          }
          ws.send(`${eventPrefix}0${JSON.stringify(['ticker.subscribe', subscribe(index)])}`);
          return;
        }
        if (text.startsWith(ackPrefix)) {
          const body = text.slice(text.indexOf('['));
          client.ready = body.startsWith('[{"ok":true');
          onAck(body, client);
          done(client.ready);
        }
      });
      ws.on('error', () => done(false));
      ws.on('close', () => {
        client.closed = true;
        done(false);
      });
    });
  for (let start = 0; start < count; start += concurrency) {
    const batch = [];
    for (let i = start; i < Math.min(count, start + concurrency); i += 1) batch.push(openOne(i));
    clients.push(...(await Promise.all(batch)));
  }
  return {
    clients,
    failed,
    get open() {
      return clients.filter((c) => !c.closed).length;
    },
    async close() {
      await Promise.all(
        clients.map(
          (c) =>
            new Promise((resolve) => {
              if (c.closed || c.ws.readyState === WebSocket.CLOSED) return resolve();
              c.ws.once('close', resolve);
              c.ws.terminate();
            }),
        ),
      );
    },
  };
}

/** The first `"position":N` in a frame (a ticker change's own position comes first in its JSON). */
export function positionOf(text) {
  const at = text.indexOf('"position":');
  if (at < 0) return -1;
  let n = 0;
  for (let i = at + 11; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) break;
    n = n * 10 + (c - 48);
  }
  return n;
}
