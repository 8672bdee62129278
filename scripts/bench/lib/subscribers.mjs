// Embedded latency load (runs pinned to the load core): opens N socket.io ticker subscribers on one
// portal, then posts a job every 1000/rate ms (open loop: a slow answer does not delay the next
// command) for `commands` commands, and records when each subscriber received each posting's item.
// The k-th posted item (by its feed `order`) belongs to the k-th command sent (they are sent 20 ms
// apart; two commits swapping places would swap two samples). Prints one JSON line.
import { io } from 'socket.io-client';

const { url, subscribers, rate, commands, authorization, job } = JSON.parse(process.argv[2]);
const portal = job.portal;
const clients = [];
for (let i = 0; i < subscribers; i += 1) {
  const socket = io(`${url}/ticker`, { transports: ['websocket'], reconnection: false, forceNew: true });
  const seen = new Map();
  socket.on('ticker.change', (change) => {
    if (change.op === 'upsert' && change.item.kind === 'job.posted' && !seen.has(change.item.order))
      seen.set(change.item.order, performance.now());
  });
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  const ack = await socket
    .timeout(30_000)
    .emitWithAck('ticker.subscribe', { portal, lang: 'de', types: ['job.posted'] });
  if (!ack.ok) throw new Error(`subscribe: ${JSON.stringify(ack)}`);
  clients.push({ socket, seen });
}
const sent = [];
const answered = [];
const failures = [];
const started = performance.now();
const pending = [];
for (let k = 0; k < commands; k += 1) {
  const due = started + (k * 1000) / rate;
  const wait = due - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const at = performance.now();
  sent.push(at);
  pending.push(
    fetch(`${url}/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: JSON.stringify(job),
    })
      .then(async (response) => {
        await response.arrayBuffer();
        answered.push(performance.now() - at);
        if (response.status !== 201) failures.push(`HTTP ${response.status}`);
      })
      .catch((error) => failures.push(String(error.cause ?? error))),
  );
}
await Promise.all(pending);
const sendSeconds = (performance.now() - started) / 1000;
// Every subscriber must see every posting; waits up to 60 s for the last ones.
const deadline = performance.now() + 60_000;
while (clients.some((c) => c.seen.size < commands) && performance.now() < deadline)
  await new Promise((r) => setTimeout(r, 50));
const latencies = [];
let missing = 0;
for (const c of clients) {
  const orders = [...c.seen.keys()].sort((a, b) => a - b);
  missing += Math.max(0, commands - orders.length);
  orders.forEach((order, k) => {
    if (k < sent.length) latencies.push(c.seen.get(order) - sent[k]);
  });
  c.socket.disconnect();
}
const sorted = (xs) => Float64Array.from(xs).sort();
const pct = (xs) => {
  const s = sorted(xs);
  const at = (q) =>
    s.length ? Number(s[Math.min(s.length - 1, Math.floor(q * s.length))].toFixed(2)) : null;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), p999: at(0.999), max: at(1), n: s.length };
};
console.log(
  JSON.stringify({
    latency: pct(latencies),
    answer: pct(answered),
    missing,
    failures: failures.length,
    failureKinds: [...new Set(failures)].slice(0, 5),
    sendSeconds,
    rateSent: commands / sendSeconds,
  }),
);
process.exit(0);
