import { createHash } from 'node:crypto';
import { type Actor } from '@feedwerk/contracts';
import { type EventMetadata } from '@feedwerk/event-store';
import { ProblemException } from '@feedwerk/platform';

/** What every command carries besides its input: who, which request, and how to recognise a retry. */
export interface CommandContext {
  readonly actor: Actor;
  readonly correlationId: string;
  readonly now: Date;
  readonly idempotency?: { readonly scope: string; readonly key: string; readonly fingerprint: string };
}

export const API_SOURCE = '/feedwerk/api';

export const metadataOf = (context: CommandContext): EventMetadata => ({
  correlationId: context.correlationId,
  causationId: null,
  actor: context.actor,
  source: API_SOURCE,
});

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{8,128}$/;

/** Stable JSON: object keys sorted, so that the same body always has the same fingerprint. */
const canonical = (value: unknown): string =>
  Array.isArray(value)
    ? `[${value.map(canonical).join(',')}]`
    : value !== null && typeof value === 'object'
      ? `{${Object.keys(value)
          .sort()
          .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
          .join(',')}}`
      : JSON.stringify(value);

/**
 * Builds the context of one HTTP command. The idempotency scope is the caller (an employer, or the
 * route for anonymous sign-ups), so one tenant's keys never collide with another's.
 */
export function commandContext(input: {
  actor: Actor;
  correlationId: string;
  route: string;
  body: unknown;
  idempotencyKey: string | string[] | undefined;
}): CommandContext {
  const base = { actor: input.actor, correlationId: input.correlationId, now: new Date() };
  const key = input.idempotencyKey;
  if (key === undefined) return base;
  if (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key)) {
    throw new ProblemException({
      title: 'Bad Request',
      status: 400,
      detail: 'Idempotency-Key must be 8-128 characters of A-Z, a-z, 0-9, ".", "_", ":" or "-"',
      code: 'invalid-idempotency-key',
    });
  }
  const fingerprint = createHash('sha256')
    .update(input.route)
    .update('\n')
    .update(canonical(input.body))
    .digest('hex');
  const scope = input.actor.id
    ? `${input.actor.kind}:${input.actor.id}`
    : `${input.actor.kind}:${input.route}`;
  return { ...base, idempotency: { scope, key, fingerprint } };
}
