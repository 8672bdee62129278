import { z } from 'zod';
import { defineEvent } from '../define-event';

/**
 * What an admin can do that changes something or takes data out. Reads in the history browser are
 * not recorded one by one; an export is, because it copies history out of the service.
 */
export const ADMIN_ACTIONS = [
  'projection.rebuild.requested',
  'projection.rebuild.cancelled',
  'history.republish.requested',
  'history.republish.cancelled',
  'history.exported',
  'dead-letter.replayed',
] as const;
export const AdminAction = z.enum(ADMIN_ACTIONS, { message: `must be one of ${ADMIN_ACTIONS.join(', ')}` });
export type AdminAction = z.infer<typeof AdminAction>;

/** A parameter of an admin action as recorded: scalars only, so the audit log stays flat and searchable. */
const ParameterValue = z.union([z.string().max(500), z.number(), z.boolean(), z.null()]);

/**
 * An admin did something (audit log: who, what, when). Who is the envelope's actor (kind `admin`,
 * id = the admin token's non-secret fingerprint); when is the envelope's time. Each action has its
 * own stream `admin-action:<actionId>`. Carries no personal data: the history a filter named is
 * described by the filter, never by its content.
 */
export const AdminActionRecorded = defineEvent({
  type: 'AdminActionRecorded',
  version: 1,
  category: 'admin',
  description: 'An admin rebuilt, republished, exported or replayed something (audit log).',
  schema: z.strictObject({
    actionId: z.uuid(),
    action: AdminAction,
    /** What it acted on: a projection name (`activity`), a rebuild or republish id, `events`. */
    target: z.string().min(1).max(200),
    parameters: z.record(z.string().max(100), ParameterValue),
  }),
});
