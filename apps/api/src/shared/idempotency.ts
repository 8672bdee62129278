import { EventStore, IdempotencyKeyReusedError } from '@feedwerk/event-store';
import { type CommandContext } from './command-context';

/**
 * The fast path for retries: a request whose Idempotency-Key already has an answer gets that answer
 * before anything is decided (a retried "post job" must not fail because its first attempt
 * succeeded). The store enforces the same rule atomically inside the append for concurrent retries.
 */
export async function replayIfRetried<T>(store: EventStore, context: CommandContext): Promise<T | null> {
  if (!context.idempotency) return null;
  const known = await store.findIdempotent(context.idempotency.scope, context.idempotency.key);
  if (!known || known.result === null) return null;
  if (known.fingerprint !== context.idempotency.fingerprint)
    throw new IdempotencyKeyReusedError(context.idempotency.key);
  return known.result as T;
}

/**
 * Runs a command's checks and its append; when they refuse it (a stale If-Match, a job already
 * closed) and the request carries an Idempotency-Key, looks for an answer once more before
 * refusing. A first attempt with the same key may have committed between the fast-path look-up
 * above and the read of the aggregate, and then its own change is what makes the retry look stale:
 * the retry must get that attempt's answer, not a 412 (found by the fault harness: a retry after a
 * client timeout was told 412 although its update had been applied).
 */
export async function orLateReplay<T>(
  store: EventStore,
  context: CommandContext,
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run();
  } catch (error) {
    const late = await replayIfRetried<T>(store, context);
    if (late) return late;
    throw error;
  }
}
