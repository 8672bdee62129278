// Load generator (runs pinned to the load core): POSTs the same JSON body `amount` times over
// `connections` keep-alive connections with autocannon, rotating the Authorization headers given.
// Prints one JSON line: wall-clock start/end (epoch ms), counts, HTTP latency percentiles (ms).
import autocannon from 'autocannon';

const config = JSON.parse(process.argv[2]);
const keys = config.authorizations ?? [];
let next = 0;
const started = Date.now();
const result = await autocannon({
  url: config.url,
  method: 'POST',
  connections: config.connections,
  amount: config.amount,
  timeout: 30,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(config.body),
  requests: [
    {
      setupRequest: (request) => {
        if (keys.length === 0) return request;
        const authorization = keys[next++ % keys.length];
        return { ...request, headers: { ...request.headers, authorization } };
      },
    },
  ],
});
const ended = Date.now();
const l = result.latency;
console.log(
  JSON.stringify({
    started,
    ended,
    requests: result.requests.total,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    latency: { p50: l.p50, p90: l.p90, p99: l.p99, p999: l.p99_9, max: l.max },
  }),
);
