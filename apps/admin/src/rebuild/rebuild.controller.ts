import { randomUUID } from 'node:crypto';
import { Controller, Delete, Get, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import {
  AdminRoutes,
  type ProjectionView,
  REBUILDABLE_PROJECTIONS,
  RebuildableProjection,
  type RebuildView,
} from '@feedwerk/contracts';
import { RebuildEngine, type RebuildRecord, RebuildRunningError } from '@feedwerk/read-models';
import { AdminGuard, type AdminRequest, ProblemException, zodProblem } from '@feedwerk/platform';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { AdminAudit } from '../audit/admin-audit';
import { RebuildWorker } from './rebuild.worker';
import { projectionView, rebuildView } from './rebuild.views';

const ProjectionParams = z.object({ name: RebuildableProjection });
const RebuildParams = z.object({ rebuildId: z.uuid({ message: 'must be a uuid' }) });

function parseParams<S extends z.ZodType>(schema: S, params: unknown): z.output<S> {
  const result = schema.safeParse(params);
  if (!result.success) throw new ProblemException(zodProblem(result.error, 'path'));
  return result.data;
}

const adminOf = (request: AdminRequest): string => {
  if (!request.adminId) throw new Error('AdminGuard did not run');
  return request.adminId;
};

/** Blue/green rebuilds of the read models (admin only; every start and cancel is audited). */
@Controller()
@UseGuards(AdminGuard)
export class RebuildController {
  constructor(
    private readonly engine: RebuildEngine,
    private readonly audit: AdminAudit,
    private readonly worker: RebuildWorker,
    private readonly db: DataSource,
  ) {}

  /** GET /admin/projections: each rebuildable projection, its live generation and running rebuild. */
  @Get(AdminRoutes.projections)
  async projections(): Promise<ProjectionView[]> {
    // One snapshot: read apart, a switch committing in between would show neither the new
    // generation nor the rebuild that made it (and the page would stop polling too early).
    const { live, running } = await this.db.transaction('REPEATABLE READ', async (tx) => ({
      live: await tx.query<{ projection: RebuildableProjection; generation: number; since: Date }[]>(
        `SELECT projection, generation, since FROM projection_live`,
      ),
      running: await this.engine.pending(tx),
    }));
    return Promise.all(
      REBUILDABLE_PROJECTIONS.map(async (name) => {
        const current = live.find((l) => l.projection === name);
        if (!current) throw new Error(`projection ${name} has no live generation (migrations not run?)`);
        const rebuild = running.find((r) => r.projection === name);
        return projectionView(name, current, rebuild ? await this.view(rebuild) : null);
      }),
    );
  }

  /** POST /admin/projections/:name/rebuilds → 202: the rebuild starts in the background. */
  @Post(AdminRoutes.rebuilds)
  @HttpCode(202)
  async start(@Param() params: unknown, @Req() request: AdminRequest): Promise<RebuildView> {
    const { name } = parseParams(ProjectionParams, params);
    const adminId = adminOf(request);
    const id = randomUUID();
    let record: RebuildRecord | null = null;
    try {
      // The request and its audit record commit together: no rebuild without its record, nor the reverse.
      await this.audit.record({
        adminId,
        correlationId: request.id,
        action: 'projection.rebuild.requested',
        target: name,
        parameters: { rebuildId: id },
        actionId: id,
        alsoWrite: async (tx) => {
          record = await this.engine.request(name, id, adminId, tx);
        },
      });
    } catch (error) {
      if (error instanceof RebuildRunningError) {
        throw new ProblemException({
          title: 'Conflict',
          status: 409,
          detail: `a rebuild of ${name} is already running`,
          code: 'rebuild-running',
        });
      }
      throw error;
    }
    if (!record) throw new Error('the rebuild was not registered');
    this.worker.wakeUp();
    return this.view(record);
  }

  /** GET /admin/rebuilds/:rebuildId: progress (done, total, events/s, ETA) and status. */
  @Get(AdminRoutes.rebuild)
  async get(@Param() params: unknown): Promise<RebuildView> {
    const { rebuildId } = parseParams(RebuildParams, params);
    return this.view(await this.found(rebuildId));
  }

  /** DELETE /admin/rebuilds/:rebuildId → 202: the builder stops at its next batch and drops its tables. */
  @Delete(AdminRoutes.rebuild)
  @HttpCode(202)
  async cancel(@Param() params: unknown, @Req() request: AdminRequest): Promise<RebuildView> {
    const { rebuildId } = parseParams(RebuildParams, params);
    const adminId = adminOf(request);
    const existing = await this.found(rebuildId);
    let cancelled: RebuildRecord | null = null;
    if (existing.status === 'building' && !existing.cancelRequested) {
      await this.audit
        .record({
          adminId,
          correlationId: request.id,
          action: 'projection.rebuild.cancelled',
          target: rebuildId,
          parameters: { projection: existing.projection, generation: existing.generation },
          alsoWrite: async (tx) => {
            cancelled = await this.engine.requestCancel(rebuildId, tx);
            // Lost a race with the switch or another cancel: nothing recorded, answered below.
            if (!cancelled) throw new CancelRefused();
          },
        })
        .catch((error: unknown) => {
          if (!(error instanceof CancelRefused)) throw error;
        });
    }
    if (!cancelled) {
      const now = (await this.engine.find(rebuildId)) ?? existing;
      throw new ProblemException({
        title: 'Conflict',
        status: 409,
        detail: now.cancelRequested
          ? 'this rebuild is already being cancelled'
          : `this rebuild cannot be cancelled: it is ${now.status}`,
        code: 'rebuild-not-cancellable',
      });
    }
    this.worker.wakeUp();
    return this.view(cancelled);
  }

  private async found(id: string): Promise<RebuildRecord> {
    const record = await this.engine.find(id);
    if (!record) {
      throw new ProblemException({
        title: 'Not Found',
        status: 404,
        detail: 'no rebuild with this id',
        code: 'not-found',
      });
    }
    return record;
  }

  private async view(record: RebuildRecord): Promise<RebuildView> {
    const running = record.status === 'building' || record.status === 'switching';
    return rebuildView(record, running ? await this.engine.remaining(record.checkpoint) : 0);
  }
}

/** Thrown inside the audit's transaction to roll it back when the cancel no longer applies. */
class CancelRefused extends Error {}
