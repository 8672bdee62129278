import { EventStore, IdempotencyKeyReusedError } from '@feedwerk/event-store';
import { type CommandContext } from './command-context';

/** The first answer to a request with this Idempotency-Key, if one completed; null without a key. */
async function firstAnswer<T>(store: EventStore, context: CommandContext): Promise<T | null> {
  if (!context.idempotency) return null;
  const known = await store.findIdempotent(context.idempotency.scope, context.idempotency.key);
  if (!known || known.result === null) return null;
  if (known.fingerprint !== context.idempotency.fingerprint)
    throw new IdempotencyKeyReusedError(context.idempotency.key);
  return known.result as T;
}

/**
 * Runs a command at most once per Idempotency-Key (the store enforces the same rule atomically
 * inside the append, for concurrent retries):
 * - the fast path: a request whose key already has an answer gets that answer before anything is
 *   decided (a retried "post job" must not fail because its first attempt succeeded);
 * - the late look: when the command is refused (a stale If-Match, a job already closed), the key
 *   is looked up once more before refusing. A first attempt with the same key may have committed
 *   between the fast path and the read of the aggregate, and then its own change is what makes the
 *   retry look stale: the retry must get that attempt's answer, not a 412 (found by the fault
 *   harness: a retry after a client timeout was told 412 although its update had been applied).
 * Without a key both are no-ops.
 */
export async function answerOnce<T>(
  store: EventStore,
  context: CommandContext,
  run: () => Promise<T>,
): Promise<T> {
  const replayed = await firstAnswer<T>(store, context);
  if (replayed !== null) return replayed;
  try {
    return await run();
  } catch (error) {
    const late = await firstAnswer<T>(store, context);
    if (late !== null) return late;
    throw error;
  }
}
