import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { type AdminAction, currentSchemaVersion, StreamIds } from '@feedwerk/contracts';
import { EventStore } from '@feedwerk/event-store';
import { type EntityManager } from 'typeorm';

export const ADMIN_SOURCE = '/feedwerk/admin';

export interface RecordedAction {
  readonly actionId: string;
  readonly globalPosition: number;
}

/**
 * The audit log: every admin action is itself an event (AdminActionRecorded on its own stream
 * `admin-action:<id>`), so "who rebuilt what, when" is answered by the same history browser, and
 * the action reaches Kafka like any other event.
 */
@Injectable()
export class AdminAudit {
  constructor(private readonly store: EventStore) {}

  async record(input: {
    readonly adminId: string;
    readonly correlationId: string;
    readonly action: AdminAction;
    readonly target: string;
    readonly parameters?: Readonly<Record<string, string | number | boolean | null>>;
    /** Defaults to a new id; pass one to tie the record to what it started (a rebuild's id). */
    readonly actionId?: string;
    /** Writes that must commit with the record or not at all (the action itself, e.g. a rebuild's row). */
    readonly alsoWrite?: (tx: EntityManager) => Promise<void>;
  }): Promise<RecordedAction> {
    const actionId = input.actionId ?? randomUUID();
    const now = new Date();
    const outcome = await this.store.append({
      streamId: StreamIds.adminAction(actionId),
      expectedVersion: 'no_stream',
      events: [
        {
          type: 'AdminActionRecorded',
          schemaVersion: currentSchemaVersion('AdminActionRecorded'),
          data: { actionId, action: input.action, target: input.target, parameters: { ...input.parameters } },
        },
      ],
      metadata: {
        correlationId: input.correlationId,
        causationId: null,
        actor: { kind: 'admin', id: input.adminId },
        source: ADMIN_SOURCE,
      },
      now,
      ...(input.alsoWrite ? { alsoWrite: input.alsoWrite } : {}),
      respond: (appended) => ({ actionId, globalPosition: appended[0]?.globalPosition ?? 0 }),
    });
    return outcome.result;
  }
}
