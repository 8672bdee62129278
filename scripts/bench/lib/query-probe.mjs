// Preloaded into the ingest benchmark's server processes (`node --import …/query-probe.mjs`):
// counts the pg queries the process sends (each one a PostgreSQL round trip, BEGIN and COMMIT
// included) and, on SIGUSR2, writes that count and the process's own CPU time (user + system, µs)
// to BENCH_PROBE_FILE, so the benchmark reads both before and after its measured load and reports
// them per command. Benchmark-only; no app code knows of it.
import { writeFileSync } from 'node:fs';
import pg from 'pg';

let queries = 0;
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function countedQuery(...args) {
  queries += 1;
  return query.apply(this, args);
};
process.on('SIGUSR2', () => {
  const { user, system } = process.cpuUsage();
  writeFileSync(
    process.env.BENCH_PROBE_FILE,
    JSON.stringify({ queries, cpuMicros: user + system, at: Date.now() }),
  );
});
