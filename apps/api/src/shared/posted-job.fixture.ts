import { EventStore } from '@feedwerk/event-store';
import { appendJobPosted } from '@feedwerk/testing';
import { type DataSource } from 'typeorm';
import { type CommandContext, commandContext } from './command-context';

/**
 * For specs: a job posted straight into the store, and the context of a command by its employer
 * (with an Idempotency-Key when given one).
 */
export async function postedJob(dataSource: DataSource) {
  const store = new EventStore(dataSource);
  const posted = await appendJobPosted(store);
  const { jobId, employerId } = posted.data as { jobId: string; employerId: string };
  const contextFor = (body: unknown, idempotencyKey?: string): CommandContext =>
    commandContext({
      actor: { kind: 'employer', id: employerId },
      correlationId: 'spec',
      route: 'test',
      body,
      idempotencyKey,
    });
  return { store, jobId, employerId, contextFor };
}
