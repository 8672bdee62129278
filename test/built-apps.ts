import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { uniqueName, waitFor } from '@feedwerk/testing';

const root = resolve(__dirname, '..');
const run = promisify(execFile);

/**
 * Builds the apps as `npm run build` does, into a private folder inside the repository (so that
 * node_modules resolves), so a test that runs built apps never races another one rebuilding dist/.
 */
export async function buildApps(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = join(root, 'node_modules/.cache', uniqueName('feedwerk-e2e-'));
  await run(process.execPath, [join(root, 'scripts/build.mjs')], {
    cwd: root,
    env: { ...process.env, FEEDWERK_BUILD_OUT: dir },
    timeout: 120_000,
  });
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export interface BuiltApp {
  readonly child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Its stdout lines that are JSON (pino's log lines), parsed. */
  logLines(): Record<string, unknown>[];
  /** Resolves with the exit code once the process ended. */
  readonly exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

/** Runs one built app as its own process, as a container runs it (`node dist/apps/<app>/src/main.js`). */
export function runBuiltApp(dir: string, app: string, env: Record<string, string>): BuiltApp {
  const childEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: '0', ...env };
  const child = spawn(process.execPath, [join(dir, `apps/${app}/src/main.js`)], { env: childEnv });
  let stdout = '';
  let all = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    all += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => (all += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return {
    child,
    exited,
    output: () => all,
    logLines: () =>
      stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .flatMap((line) => {
          try {
            return [JSON.parse(line) as Record<string, unknown>];
          } catch {
            return [];
          }
        }),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** The URL a built app printed when it started listening. */
export const listening = (app: BuiltApp, name: string): Promise<string> =>
  waitFor(
    `the ${name} app to listen`,
    () => {
      if (app.child.exitCode !== null) throw new Error(`${name} exited: ${app.output()}`);
      return /listening on (http:\/\/\S+)/.exec(app.output())?.[1];
    },
    { timeoutMs: 90_000 },
  );

/** One sample's value from Prometheus text (`name{labels} value`), or undefined if not exposed. */
export function metricValue(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const matches = Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`));
    if (matches) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}
