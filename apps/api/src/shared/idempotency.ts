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
