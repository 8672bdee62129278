// PostgreSQL and Kafka for a scenario: the ones DATABASE_URL / KAFKA_BROKERS name, or, when not given,
// a throwaway pair started with scripts/infra (its own FEEDWERK_INFRA_DIR, so nothing shared is touched)
// and stopped again at the end.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * Makes sure `needs` ('postgres', 'kafka') are reachable; sets DATABASE_URL / KAFKA_BROKERS in
 * process.env. Returns `stop()` (a no-op for servers that were given) and whether we started them.
 */
let owned = null;

export function ensureInfra(needs) {
  // Started already by an outer caller (run.mjs): share it; stopping it is the outer caller's job.
  if (owned) return { ...owned, stop: () => {} };
  const missing = needs.filter((n) =>
    n === 'postgres' ? !process.env.DATABASE_URL : !process.env.KAFKA_BROKERS,
  );
  if (missing.length === 0) return { started: false, dir: null, stop: () => {} };
  const dir = process.env.FEEDWERK_BENCH_INFRA_DIR ?? join(root, '.infra', 'bench');
  const env = { ...process.env, FEEDWERK_INFRA_DIR: dir };
  // up.sh starts only what the environment does not name already.
  if (!needs.includes('kafka') && !env.KAFKA_BROKERS) env.KAFKA_BROKERS = 'unused:9092';
  console.log(`starting ${missing.join(' and ')} for the benchmark (state in ${dir}) …`);
  const out = execFileSync('bash', [join(root, 'scripts/infra/up.sh')], {
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  for (const line of out.toString().split('\n')) {
    const [key, ...rest] = line.split('=');
    const value = rest.join('=');
    if (key === 'DATABASE_URL' && missing.includes('postgres')) process.env.DATABASE_URL = value;
    if (key === 'KAFKA_BROKERS' && missing.includes('kafka')) process.env.KAFKA_BROKERS = value;
  }
  owned = {
    started: true,
    dir,
    startedPostgres: missing.includes('postgres'),
    stop: () => {
      console.log('stopping the benchmark infrastructure …');
      spawnSync('bash', [join(root, 'scripts/infra/down.sh')], { env, stdio: 'inherit' });
    },
  };
  return owned;
}

/**
 * Turns on track_commit_timestamp in a PostgreSQL that `ensureInfra` started (a restart: it is a
 * server-start setting). Commit times split "api → committed" from "committed → relayed" without any
 * timestamp of our own. Returns false (and changes nothing) for a server we did not start.
 */
export async function enableCommitTimestamps(infra, client) {
  const shown = await client.query('SHOW track_commit_timestamp');
  if (shown.rows[0].track_commit_timestamp === 'on') return true;
  if (!infra.startedPostgres) return false;
  const dataDir = readFileSync(join(infra.dir, 'pg', 'datadir'), 'utf8').trim();
  const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(a) - Number(b));
  const pgCtl = join('/usr/lib/postgresql', versions.at(-1), 'bin', 'pg_ctl');
  if (!existsSync(pgCtl)) return false;
  await client.query('ALTER SYSTEM SET track_commit_timestamp = on');
  // The restart ends this session with FATAL 57P01, emitted as an 'error' event: expected here.
  client.on('error', () => undefined);
  const args = ['-D', dataDir, '-w', '-l', join(dataDir, 'server.log'), 'restart'];
  const asRoot = process.getuid?.() === 0;
  const result = asRoot
    ? spawnSync('runuser', ['-u', 'postgres', '--', pgCtl, ...args], { stdio: 'ignore' })
    : spawnSync(pgCtl, args, { stdio: 'ignore' });
  return result.status === 0;
}

/**
 * Pins the PostgreSQL server (the postmaster and every process it runs, backends it forks later
 * inherit it) and the Kafka broker that `ensureInfra` started to `cpu` (a taskset list). In
 * production they run on machines of their own; on this 2-core box, left unpinned they run on the
 * servers' core as much as on the load's, and what a latency figure measures is then how much of
 * the servers' core they took. Returns what it pinned (nothing for servers it did not start).
 */
export function pinInfra(infra, cpu) {
  if (!infra.started) return [];
  const pinned = [];
  const pin = (name, pid) => {
    if (!/^\d+$/.test(pid ?? '')) return;
    const children = spawnSync('pgrep', ['-P', pid], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    for (const p of [pid, ...children]) spawnSync('taskset', ['-apc', cpu, p], { stdio: 'ignore' });
    pinned.push(`${name} (${1 + children.length} processes)`);
  };
  const read = (file) => (existsSync(file) ? readFileSync(file, 'utf8').trim() : null);
  const dataDir = read(join(infra.dir, 'pg', 'datadir'));
  if (infra.startedPostgres && dataDir)
    pin('postgres', read(join(dataDir, 'postmaster.pid'))?.split('\n')[0]);
  pin('kafka', read(join(infra.dir, 'kafka', 'pid')));
  return pinned;
}
