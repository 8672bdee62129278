import { ConfigurationError } from './config';
import { type StartedApp } from './http/bootstrap';

/** SIGTERM/SIGINT: stop intake, drain consumers and loops, flush positions, close; give up after this long. */
const SHUTDOWN_DEADLINE_MS = 10_000;

/**
 * The entry point of every app: starts it, prints where it listens, and on a start-up failure
 * (bad configuration, database unreachable) prints one clear message and exits with status 1.
 * On SIGTERM or SIGINT it closes the app (every component drains and saves its position) and exits
 * 0, or 1 if that takes longer than the deadline.
 */
export function runMain(app: string, start: () => Promise<StartedApp>): void {
  // A stray rejection is a bug to see, not a reason to drop every connection of the process.
  process.on('unhandledRejection', (reason) => {
    process.stderr.write(
      `feedwerk ${app}: unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}\n`,
    );
  });
  start()
    .then(({ app: nest, url }) => {
      process.stdout.write(`feedwerk ${app} listening on ${url}\n`);
      let stopping = false;
      const shutdown = (signal: NodeJS.Signals) => {
        if (stopping) return;
        stopping = true;
        process.stdout.write(`feedwerk ${app}: ${signal}, shutting down\n`);
        const deadline = setTimeout(() => {
          process.stderr.write(`feedwerk ${app}: shutdown took longer than ${SHUTDOWN_DEADLINE_MS} ms\n`);
          process.exit(1);
        }, SHUTDOWN_DEADLINE_MS);
        deadline.unref();
        nest.close().then(
          () => process.exit(0),
          (error: unknown) => {
            process.stderr.write(`feedwerk ${app}: shutdown failed: ${String(error)}\n`);
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', shutdown);
      process.once('SIGINT', shutdown);
    })
    .catch((error: unknown) => {
      // A configuration error (the libs' own extend ConfigurationError) is for the operator: its message says it all.
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
