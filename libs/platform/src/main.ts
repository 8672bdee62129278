import { ConfigurationError } from './config';
import { type StartedApp } from './http/bootstrap';

/**
 * The entry point of every app: starts it, prints where it listens, and on a start-up failure
 * (bad configuration, database unreachable) prints one clear message and exits with status 1.
 */
export function runMain(app: string, start: () => Promise<StartedApp>): void {
  start()
    .then(({ url }) => {
      process.stdout.write(`feedwerk ${app} listening on ${url}\n`);
    })
    .catch((error: unknown) => {
      const message =
        error instanceof ConfigurationError
          ? error.message
          : error instanceof Error
            ? (error.stack ?? error.message)
            : String(error);
      process.stderr.write(`feedwerk ${app} failed to start: ${message}\n`);
      process.exit(1);
    });
}
