import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { waitFor } from '@feedwerk/testing';

const root = resolve(__dirname, '..');

/** One built app (`dist/apps/<app>/src/main.js`) running as its own process, as in production. */
export interface AppProcess {
  readonly app: string;
  readonly child: ChildProcess;
  readonly url: string;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** True while the process has not exited. */
  alive(): boolean;
  /** Sends SIGTERM and resolves with the exit code (null when a signal ended it). */
  terminate(): Promise<number | null>;
}

export async function spawnApp(app: string, env: NodeJS.ProcessEnv): Promise<AppProcess> {
  const main = join(root, `dist/apps/${app}/src/main.js`);
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` before the e2e tier`);
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let exited = false;
  const exit = new Promise<number | null>((resolveExit) =>
    child.once('exit', (code) => {
      exited = true;
      resolveExit(code);
    }),
  );
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = await waitFor(
    `the ${app} app to listen`,
    () => {
      if (exited) throw new Error(`the ${app} app exited at start:\n${output}`);
      return /listening on (http:\/\/\S+)/.exec(output)?.[1];
    },
    { timeoutMs: 60_000 },
  ).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  return {
    app,
    child,
    url,
    output: () => output,
    alive: () => !exited,
    terminate: () => {
      if (!exited) child.kill('SIGTERM');
      return exit;
    },
  };
}
