// The cluster under test: its own PostgreSQL and KRaft Kafka (scripts/infra, in a state dir of its own), a
// fault proxy in front of each, and every app as its own process from dist/, restarted by a small supervisor
// (as systemd or Kubernetes would) when it exits. Exits we caused (kill, crash point) are "planned"; any other
// exit is a crash the checker counts.
import { spawn, execFileSync } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, readlinkSync, writeFileSync, existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FaultProxy } from './proxy.mjs';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export const ADMIN_TOKEN = 'faults-admin-token-0123456789abcdef0123456789';

/** Ports from the kernel (bound to 0), released right away; as scripts/infra/lib.sh does. */
async function freePort() {
  const net = await import('node:net');
  return new Promise((resolvePort) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

function pidsOf(parent) {
  try {
    return execFileSync('pgrep', ['-P', String(parent)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

export function rssKiB(pid) {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('VmRSS:'));
    return line ? Number(line.split(/\s+/)[1]) : null;
  } catch {
    return null;
  }
}

class AppProcess {
  constructor(cluster, name, script, env) {
    this.cluster = cluster;
    this.name = name;
    this.script = script;
    this.env = env;
    this.child = null;
    this.planned = false; // the next exit is one we caused
    this.restart = true;
    this.exits = [];
    this.starts = 0;
    this.extraEnv = {};
  }

  start() {
    const log = createWriteStream(join(this.cluster.logDir, `${this.name}.log`), { flags: 'a' });
    const childEnv = { ...this.extraEnv };
    const child = spawn(process.execPath, [join(REPO, this.script)], {
      cwd: REPO,
      env: { ...process.env, ...this.cluster.baseEnv, ...this.env, ...this.extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.starts += 1;
    this.child = child;
    this.startedAt = Date.now();
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    child.on('exit', (code, signal) => {
      // A SIGKILL we did not send, in a process started with a crash point armed: the crash point fired.
      const crashPoint = !this.planned && childEnv.CRASH_AT !== undefined && signal === 'SIGKILL';
      const planned = this.planned || crashPoint;
      this.exits.push({
        t: Date.now(),
        code,
        signal,
        planned,
        crashPoint,
        ranMs: Date.now() - this.startedAt,
      });
      this.planned = false;
      if (crashPoint && --this.crashesLeft <= 0) this.extraEnv = {};
      if (this.child === child) this.child = null;
      if (this.restart && !this.cluster.stopping) setTimeout(() => this.start(), 500);
    });
  }

  /** Restarts the process with crash-point settings, which stay armed for `times` crashes. */
  arm(env, times = 1) {
    this.extraEnv = env;
    this.crashesLeft = times;
    this.kill('SIGKILL');
  }

  disarm() {
    this.extraEnv = {};
  }

  /** Waits until the armed crashes have all happened and the process runs again (bounded). */
  async crashesDone(timeoutMs = 40_000) {
    const deadline = Date.now() + timeoutMs;
    while (this.crashesLeft > 0 && Date.now() < deadline) await sleep(200);
    this.disarm();
    while (!this.child && Date.now() < deadline) await sleep(200);
    if (this.child) await this.waitReady(Math.max(1_000, deadline - Date.now())).catch(() => undefined);
  }

  /** Kills it and keeps it down until release(). */
  hold(signal = 'SIGKILL') {
    this.restart = false;
    this.kill(signal);
  }

  release() {
    this.restart = true;
    if (!this.child) this.start();
  }

  get pid() {
    return this.child?.pid ?? null;
  }

  async waitReady(timeoutMs = 60_000) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      try {
        const res = await fetch(`http://127.0.0.1:${this.env.PORT}/health/live`, {
          signal: AbortSignal.timeout(2_000),
        });
        if (res.status < 500) return;
      } catch {
        /* not up yet */
      }
      await sleep(250);
    }
    throw new Error(
      `${this.name} not up within ${timeoutMs} ms (log: ${this.cluster.logDir}/${this.name}.log)`,
    );
  }

  /** Sends `signal`; the exit that follows is planned. */
  kill(signal = 'SIGKILL') {
    if (!this.child) return;
    if (signal === 'SIGKILL' || signal === 'SIGTERM') this.planned = true;
    this.child.kill(signal);
  }

  async stop() {
    this.restart = false;
    const child = this.child;
    if (!child) return;
    this.planned = true;
    child.kill('SIGCONT');
    child.kill('SIGTERM');
    const gone = new Promise((r) => child.once('exit', r));
    if ((await Promise.race([gone.then(() => true), sleep(12_000).then(() => false)])) === false) {
      child.kill('SIGKILL');
      await gone;
    }
  }
}

export class Cluster {
  constructor(stateDir) {
    this.stateDir = stateDir;
    this.infraDir = join(stateDir, 'infra');
    this.logDir = join(stateDir, 'logs');
    mkdirSync(this.infraDir, { recursive: true });
    mkdirSync(this.logDir, { recursive: true });
    this.apps = new Map();
    this.stopping = false;
  }

  infra(script, args, env = {}) {
    return execFileSync('bash', [join(REPO, 'scripts/infra', script), ...args], {
      env: { ...process.env, FEEDWERK_INFRA_DIR: this.infraDir, ...env },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
  }

  /** Kafka's partition data on a tmpfs of `size` (F18 fills it); needs root for mount(2). */
  mountKafkaTmpfs(size) {
    this.kafkaLogDir = join(this.stateDir, 'kafka-logs');
    mkdirSync(this.kafkaLogDir, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', this.kafkaLogDir]);
  }

  async startInfra() {
    // The proxies listen first: the broker advertises the Kafka proxy's port, and its readiness probe goes through it.
    this.pgProxy = new FaultProxy({ name: 'pg', target: () => this.pgPort });
    // kafka.sh writes the broker's port before its readiness probe, which comes through this proxy.
    this.kafkaProxy = new FaultProxy({
      name: 'kafka',
      target: () => this.kafkaPort ?? Number(readFileSync(join(this.infraDir, 'kafka/port'), 'utf8')),
    });
    await this.pgProxy.start();
    await this.kafkaProxy.start();
    const [pgOut, kafkaOut] = await Promise.all([
      Promise.resolve().then(() => this.infra('pg.sh', ['start'])),
      new Promise((resolveOut, reject) => {
        const child = spawn('bash', [join(REPO, 'scripts/infra/kafka.sh'), 'start'], {
          env: {
            ...process.env,
            FEEDWERK_INFRA_DIR: this.infraDir,
            KAFKA_ADVERTISED_PORT: String(this.kafkaProxy.port),
            KAFKA_HEAP_OPTS: '-Xmx384m',
            ...(this.kafkaLogDir ? { KAFKA_LOG_DIR: this.kafkaLogDir } : {}),
          },
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        child.on('exit', (code) =>
          code === 0 ? resolveOut(out) : reject(new Error('kafka.sh start failed')),
        );
      }),
    ]);
    this.directDatabaseUrl = /DATABASE_URL=(\S+)/.exec(pgOut)[1];
    this.pgPort = Number(new URL(this.directDatabaseUrl).port);
    this.kafkaPort = Number(/KAFKA_BROKERS=127\.0\.0\.1:(\d+)/.exec(kafkaOut)[1]);
    const db = new URL(this.directDatabaseUrl);
    db.port = String(this.pgProxy.port);
    this.databaseUrl = db.toString();
    this.brokers = `127.0.0.1:${this.kafkaProxy.port}`;
    this.pgBinDir = dirname(readlinkSync(`/proc/${this.postmasterPid()}/exe`));
    this.baseEnv = {
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      DATABASE_URL: this.databaseUrl,
      KAFKA_BROKERS: this.brokers,
      DATABASE_POOL_SIZE: '8',
      DATABASE_STATEMENT_TIMEOUT_MS: '5000',
      ADMIN_TOKENS: ADMIN_TOKEN,
      RATE_LIMIT_PER_IP: '1000000',
      RATE_LIMIT_PER_KEY: '1000000',
      TICKER_ALLOWED_ORIGINS: '*=*',
      TICKER_MAX_CONNECTIONS_PER_IP: '100000',
      TICKER_MAX_CATCH_UP: '100000',
      TICKER_CLIENT_BUFFER: '100000',
      TOPIC_PARTITIONS: '3',
      PUBLIC_TOPIC_PARTITIONS: '3',
      DATA_DIR: join(this.stateDir, 'data'),
    };
  }

  postmasterPid() {
    const dataDir = readFileSync(join(this.infraDir, 'pg/datadir'), 'utf8').trim();
    this.pgDataDir = dataDir;
    return Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  }

  pgAll() {
    const pm = this.postmasterPid();
    return [pm, ...pidsOf(pm)];
  }

  asPostgres(args) {
    const cmd =
      process.getuid() === 0 ? ['runuser', ['-u', 'postgres', '--', ...args]] : [args[0], args.slice(1)];
    execFileSync(cmd[0], cmd[1], { stdio: 'ignore' });
  }

  pgCrash() {
    this.postmasterPid();
    this.asPostgres([join(this.pgBinDir, 'pg_ctl'), '-D', this.pgDataDir, '-m', 'immediate', '-w', 'stop']);
  }

  pgStart() {
    this.asPostgres([
      join(this.pgBinDir, 'pg_ctl'),
      '-D',
      this.pgDataDir,
      '-l',
      join(this.pgDataDir, 'server.log'),
      '-w',
      '-t',
      '60',
      'start',
    ]);
  }

  pgSignal(signal) {
    for (const pid of this.pgAll()) {
      try {
        process.kill(pid, signal);
      } catch {
        /* gone */
      }
    }
  }

  kafkaPid() {
    return Number(readFileSync(join(this.infraDir, 'kafka/pid'), 'utf8').trim());
  }

  /** kill -9 the broker; remembers its command line so that kafkaRestart() brings the same broker back. */
  kafkaKill() {
    this.rememberKafka();
    process.kill(this.kafkaPid(), 'SIGKILL');
  }

  rememberKafka() {
    this.kafkaArgv = readFileSync(`/proc/${this.kafkaPid()}/cmdline`, 'utf8').split('\0').filter(Boolean);
  }

  kafkaAlive() {
    try {
      process.kill(this.kafkaPid(), 0);
      return true;
    } catch {
      return false;
    }
  }

  async kafkaRestart() {
    const [java, ...args] = this.kafkaArgv;
    const out = join(this.infraDir, 'kafka/broker.out');
    const fd = (await import('node:fs')).openSync(out, 'a');
    const child = spawn(java, args, { detached: true, stdio: ['ignore', fd, fd], cwd: REPO });
    child.unref();
    writeFileSync(join(this.infraDir, 'kafka/pid'), `${child.pid}\n`);
    // Back = it answers metadata through the proxy again (a JVM start takes 5–30 s on a busy machine).
    const { Kafka, logLevel } = (await import('node:module')).createRequire(import.meta.url)('kafkajs');
    const deadline = Date.now() + 90_000;
    for (;;) {
      const admin = new Kafka({
        clientId: 'faults-probe',
        brokers: [this.brokers],
        logLevel: logLevel.NOTHING,
        retry: { retries: 0 },
      }).admin();
      try {
        await admin.connect();
        await admin.listTopics();
        await admin.disconnect();
        return;
      } catch (error) {
        await admin.disconnect().catch(() => undefined);
        if (Date.now() > deadline)
          throw new Error(`the restarted broker did not answer within 90 s: ${error}`);
        await sleep(500);
      }
    }
  }

  kafkaSignal(signal) {
    process.kill(this.kafkaPid(), signal);
  }

  async startApps({ tickers = 2, projectors = 2, apis = 2 } = {}) {
    const ports = {};
    const add = (name, app, env = {}) => {
      const proc = new AppProcess(this, name, `dist/apps/${app}/src/main.js`, env);
      this.apps.set(name, proc);
      return proc;
    };
    // The first app up migrates; start one alone so the others do not queue on the migration lock.
    const first = add('api-1', 'api', { PORT: String((ports.api1 = await freePort())) });
    first.start();
    await first.waitReady();
    for (let i = 2; i <= apis; i++) add(`api-${i}`, 'api', { PORT: String(await freePort()) });
    // Two relays: one leads (advisory lock), the other stands by.
    add('relay-1', 'relay', { PORT: String(await freePort()) });
    add('relay-2', 'relay', { PORT: String(await freePort()) });
    for (let i = 1; i <= projectors; i++)
      add(`projector-${i}`, 'projector', { PORT: String(await freePort()) });
    for (let i = 1; i <= tickers; i++)
      add(`ticker-${i}`, 'ticker', { PORT: String(await freePort()), TICKER_NODE_ID: `ticker-${i}` });
    const rest = [...this.apps.values()].filter((a) => a !== first);
    for (const app of rest) app.start();
    await Promise.all(rest.map((a) => a.waitReady()));
    // Clients reach each ticker node through a proxy of its own, to cut their connections (F14).
    this.tickerProxies = new Map();
    for (const [name, app] of this.apps) {
      if (!name.startsWith('ticker-')) continue;
      const proxy = new FaultProxy({ name, target: () => Number(app.env.PORT) });
      await proxy.start();
      this.tickerProxies.set(name, proxy);
    }
  }

  /**
   * Starts an app the cluster does not run by default (the admin app with its rebuild worker, for F17);
   * `extraEnv` as restartWith's (undone by `restartWith([name], {})`).
   */
  async startApp(name, app, extraEnv = {}) {
    if (this.apps.has(name)) return this.app(name);
    const proc = new AppProcess(this, name, `dist/apps/${app}/src/main.js`, {
      PORT: String(await freePort()),
    });
    proc.extraEnv = extraEnv;
    this.apps.set(name, proc);
    proc.start();
    await proc.waitReady();
    return proc;
  }

  /** Restarts apps one after the other (SIGTERM; the supervisor starts them again) with `env` added; {} undoes it. */
  async restartWith(names, env) {
    for (const name of names) {
      const app = this.app(name);
      app.extraEnv = env;
      const starts = app.starts;
      app.kill('SIGTERM');
      const deadline = Date.now() + 30_000;
      while (app.starts === starts && Date.now() < deadline) await sleep(100);
      await app.waitReady();
    }
  }

  tickerUrls() {
    return [...this.tickerProxies.values()].map((p) => `http://127.0.0.1:${p.port}`);
  }

  app(name) {
    const app = this.apps.get(name);
    if (!app) throw new Error(`no app ${name}`);
    return app;
  }

  url(name) {
    return `http://127.0.0.1:${this.app(name).env.PORT}`;
  }

  urls(prefix) {
    return [...this.apps.keys()].filter((n) => n.startsWith(prefix)).map((n) => this.url(n));
  }

  /** Unhandled rejections and uncaught errors the apps printed, per app. */
  async logProblems() {
    const problems = {};
    for (const file of await readdir(this.logDir)) {
      const text = readFileSync(join(this.logDir, file), 'utf8');
      const n = (text.match(/unhandled rejection|uncaughtException|FATAL ERROR|heap out of memory/gi) ?? [])
        .length;
      if (n > 0) problems[file.replace(/\.log$/, '')] = n;
    }
    return problems;
  }

  rss() {
    const out = {};
    for (const [name, app] of this.apps) out[name] = app.pid ? rssKiB(app.pid) : null;
    return out;
  }

  async stop() {
    this.stopping = true;
    await Promise.all([...this.apps.values()].map((a) => a.stop()));
    for (const proxy of this.tickerProxies?.values() ?? []) await proxy.stop();
    await this.pgProxy?.stop();
    await this.kafkaProxy?.stop();
    try {
      this.pgSignal('SIGCONT');
    } catch {
      /* not running */
    }
    if (existsSync(join(this.infraDir, 'kafka'))) {
      try {
        this.kafkaSignal('SIGCONT');
      } catch {
        /* not running */
      }
      this.infra('kafka.sh', ['stop']);
    }
    if (existsSync(join(this.infraDir, 'pg'))) this.infra('pg.sh', ['stop']);
    if (this.kafkaLogDir) execFileSync('umount', [this.kafkaLogDir]);
  }
}
