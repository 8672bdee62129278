#!/usr/bin/env node
// `npm test`: starts PostgreSQL and Kafka when DATABASE_URL / KAFKA_BROKERS are not given
// (scripts/infra/up.sh), runs every jest tier against them, stops what it started, and ends with
// one summary line "tests: N passed, N failed". The integration and e2e tiers are never skipped: if
// the infrastructure cannot start, the run fails and says what is missing.
// Extra arguments go to jest, e.g. `npm test -- --selectProjects unit`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const started = Date.now();
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
const say = (line) => process.stderr.write(`test: ${line}\n`);

const env = { ...process.env };
let startedInfra = false;

// The e2e tier reads the public topics with kcat (Debian package `kcat`), a Kafka client that shares
// none of our code. Say so before starting anything rather than fail deep inside a test.
const args = process.argv.slice(2);
const onlyUnit = args.some((arg, i) => arg === 'unit' && args[i - 1] === '--selectProjects');
if (!onlyUnit && spawnSync('kcat', ['-V'], { stdio: 'ignore' }).error) {
  say(
    'kcat not found: the e2e tests read the public Kafka topics with it. Install it (apt-get install kcat).',
  );
  process.exit(1);
}

if (!env.DATABASE_URL || !env.KAFKA_BROKERS) {
  say('starting PostgreSQL and Kafka (scripts/infra/up.sh) ...');
  const t0 = Date.now();
  const up = spawnSync('bash', [join(root, 'scripts/infra/up.sh')], {
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  startedInfra = true;
  if (up.status !== 0) {
    say('could not start the test infrastructure (see the messages above for what is missing).');
    say('Install what they name (e.g. apt-get install postgresql maven openjdk-17-jre-headless),');
    say('or point DATABASE_URL and KAFKA_BROKERS at running servers.');
    spawnSync('bash', [join(root, 'scripts/infra/down.sh')], { env, stdio: 'inherit' });
    process.exit(1);
  }
  for (const line of up.stdout.split('\n')) {
    const match = /^(DATABASE_URL|KAFKA_BROKERS)='?([^']*)'?$/.exec(line.trim());
    if (match) env[match[1]] = match[2];
  }
  say(`infrastructure ready in ${seconds(Date.now() - t0)}: ${env.DATABASE_URL} ${env.KAFKA_BROKERS}`);
}

const stopInfra = () => {
  if (!startedInfra) return;
  startedInfra = false;
  spawnSync('bash', [join(root, 'scripts/infra/down.sh')], { env, stdio: 'inherit' });
};

const resultsDir = mkdtempSync(join(tmpdir(), 'feedwerk-jest-'));
const resultsFile = join(resultsDir, 'results.json');
// PGlite (the embedded database) loads its WASM through a dynamic import, which jest's module
// sandbox only allows with VM modules enabled.
const nodeOptions = [env.NODE_OPTIONS, '--experimental-vm-modules', '--no-warnings=ExperimentalWarning']
  .filter(Boolean)
  .join(' ');
const jest = spawn(
  process.execPath,
  [
    join(root, 'node_modules/jest/bin/jest.js'),
    '--json',
    `--outputFile=${resultsFile}`,
    ...process.argv.slice(2),
  ],
  // Its own process group, so that the watchdog below can stop jest together with its workers.
  { cwd: root, env: { ...env, NODE_OPTIONS: nodeOptions }, stdio: 'inherit', detached: true },
);
const killJest = (signal) => {
  try {
    process.kill(-jest.pid, signal);
  } catch {
    jest.kill(signal);
  }
};
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => killJest(signal));
}

// Jest writes its results file when the run is over. A test that leaks a server, socket or consumer
// keeps jest's process alive after that, forever: a CI run once sat 80 minutes there until the CI
// limit killed it, and the results of the run were lost with it. So: once the results are written,
// jest gets EXIT_GRACE_MS to exit; after that it is stopped and the run fails, naming the cause.
const EXIT_GRACE_MS = 120_000;
let leaked = false;
const watchdog = setInterval(() => {
  if (!existsSync(resultsFile)) return;
  clearInterval(watchdog);
  setTimeout(() => {
    leaked = true;
    say(
      `jest did not exit ${EXIT_GRACE_MS / 1000} s after the run finished: a test left open handles ` +
        '(a server, a socket, a consumer). Stopping it; the run fails. `npx jest --detectOpenHandles <file>` finds them.',
    );
    killJest('SIGKILL');
  }, EXIT_GRACE_MS).unref();
}, 1_000);

jest.on('exit', (code, signal) => {
  clearInterval(watchdog);
  stopInfra();
  let summary = 'tests: 0 passed, 0 failed';
  try {
    const results = JSON.parse(readFileSync(resultsFile, 'utf8'));
    summary = `tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed`;
    if (results.numPendingTests > 0 || results.numTodoTests > 0) {
      summary += `, ${results.numPendingTests + results.numTodoTests} skipped`;
    }
  } catch {
    // jest died before writing results; the exit code below says so.
  }
  rmSync(resultsDir, { recursive: true, force: true });
  say(`wall time ${seconds(Date.now() - started)}`);
  process.stdout.write(`${summary}\n`);
  if (leaked) process.exit(1);
  process.exit(code ?? (signal ? 1 : 0));
});
