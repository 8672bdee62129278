// Child processes for the benchmarks: each app (or bare server) in its own process, pinned to a core
// with `taskset`, with the open-file limit raised to the hard limit (10,000 sockets need more than the
// usual 1,024), started through bash so that `ulimit` applies to exactly that process.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

const hasTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0;

/**
 * The core the servers run on and the one the load runs on (the same one on a one-core machine).
 * BENCH_SERVER_CPUS (a taskset list, e.g. "0-1") overrides the servers' cores for a comparison run.
 */
export const SERVER_CPU = process.env.BENCH_SERVER_CPUS ?? '0';
export const LOAD_CPU = cpus().length > 1 ? '1' : '0';

/** `node args…` pinned to `cpu`, fd limit raised; resolves once it printed a line matching `ready`. */
export function startProcess(
  name,
  args,
  { env = {}, cpu = SERVER_CPU, ready = /listening on (\S+)/, timeoutMs = 60_000, probe = false } = {},
) {
  if (probe) args = ['--expose-gc', '--require', join(here, 'probe.cjs'), ...args];
  // BENCH_CPU_PROF=<dir>: every server writes a V8 CPU profile there when it exits (node --cpu-prof).
  if (process.env.BENCH_CPU_PROF && cpu === SERVER_CPU) {
    args = ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`, ...args];
  }
  const command = `ulimit -n "$(ulimit -Hn)"; exec ${hasTaskset ? `taskset -c ${cpu} ` : ''}"$@"`;
  const child = spawn('bash', ['-c', command, 'bash', process.execPath, ...args], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  const lines = [];
  const listeners = new Set();
  const onData = (chunk) => {
    output += chunk.toString();
    let at;
    while ((at = output.indexOf('\n')) >= 0) {
      const line = output.slice(0, at);
      output = output.slice(at + 1);
      lines.push(line);
      if (lines.length > 200) lines.shift();
      for (const listener of listeners) listener(line);
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const started = new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} did not start in ${timeoutMs} ms:\n${lines.join('\n')}`)),
      timeoutMs,
    );
    listeners.add((line) => {
      const match = ready.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code ?? signal}) before it was ready:\n${lines.join('\n')}`));
    });
  });
  const handle = {
    name,
    pid: child.pid,
    child,
    lines,
    onLine: (listener) => listeners.add(listener),
    /** Resident set size in KiB (the process's whole memory, as the OS counts it). */
    rssKiB: () =>
      Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? NaN),
    /** CPU time (user + system) used so far, in ms. */
    cpuMs: () => {
      const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
      // fields[11], fields[12]: utime, stime in clock ticks (100 per second on Linux).
      return (Number(fields[11]) + Number(fields[12])) * 10;
    },
    send: (line) => child.stdin.write(`${line}\n`),
    /** Memory after a full GC, in bytes (needs the process started with `probe: true`). */
    async memory() {
      const line = nextLine(handle, /bench-probe memory rss=(\d+) heapUsed=(\d+) external=(\d+)/, 10_000);
      child.kill('SIGUSR2');
      const m = await line;
      return { rss: Number(m[1]), heapUsed: Number(m[2]), external: Number(m[3]) };
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
  return started.then((url) => ({ ...handle, url }));
}

/** Resolves with the first line of `proc` that matches `pattern` (its match), or rejects after `timeoutMs`. */
export function nextLine(proc, pattern, timeoutMs = 60_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${proc.name}: no line matching ${pattern} in ${timeoutMs} ms`)),
      timeoutMs,
    );
    proc.onLine((line) => {
      const match = pattern.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    });
  });
}

/** Percentile (0..100) of a sorted numeric array (nearest rank). */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export const round = (value, digits = 1) => Number(value.toFixed(digits));
