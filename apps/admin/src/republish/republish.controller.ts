import { randomUUID } from 'node:crypto';
import { Body, Controller, Delete, Get, HttpCode, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import { AdminRoutes, type RepublishList, RepublishRequest, type RepublishView } from '@feedwerk/contracts';
import { AdminGuard, type AdminRequest, parseBody, ProblemException } from '@feedwerk/platform';
import { type FastifyReply } from 'fastify';
import { z } from 'zod';
import { AdminAudit } from '../audit/admin-audit';
import { RepublishService } from './republish.service';

const RepublishId = z.uuid();

const idOf = (value: string): string => {
  const parsed = RepublishId.safeParse(value);
  if (!parsed.success) {
    throw new ProblemException({
      title: 'Bad Request',
      status: 400,
      detail: 'the republish id must be a uuid',
      errors: [{ path: 'republishId', message: 'must be a uuid' }],
    });
  }
  return parsed.data;
};

const notFound = (id: string) =>
  new ProblemException({
    title: 'Not Found',
    status: 404,
    detail: `no republish ${id}`,
    code: 'republish.not-found',
  });

/** Republish history for analytics backfill (issue 5). Every route needs the admin credential. */
@Controller()
@UseGuards(AdminGuard)
export class RepublishController {
  constructor(
    private readonly republishes: RepublishService,
    private readonly audit: AdminAudit,
  ) {}

  @Post(AdminRoutes.republishes)
  @HttpCode(202)
  async start(
    @Body() body: unknown,
    @Req() request: AdminRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RepublishView> {
    const input = parseBody(RepublishRequest, body);
    const adminId = request.adminId ?? 'admin';
    const id = randomUUID();
    // Audited first: no run exists that the audit log does not know of.
    await this.audit.record({
      adminId,
      correlationId: request.id,
      action: 'history.republish.requested',
      target: id,
      actionId: id,
      parameters: {
        fromPosition: input.fromPosition,
        toPosition: input.toPosition,
        categories: input.categories ? [...input.categories].sort().join(',') : null,
        ratePerSecond: input.ratePerSecond,
      },
    });
    const view = await this.republishes.start(input, adminId, id);
    void reply.header('location', AdminRoutes.republish.replace(':republishId', view.id));
    return view;
  }

  @Get(AdminRoutes.republishes)
  async list(): Promise<RepublishList> {
    return { items: await this.republishes.list() };
  }

  @Get(AdminRoutes.republish)
  async one(@Param('republishId') republishId: string): Promise<RepublishView> {
    const id = idOf(republishId);
    const view = await this.republishes.get(id);
    if (!view) throw notFound(id);
    return view;
  }

  @Delete(AdminRoutes.republish)
  async cancel(
    @Param('republishId') republishId: string,
    @Req() request: AdminRequest,
  ): Promise<RepublishView> {
    const id = idOf(republishId);
    const cancelled = await this.republishes.cancel(id);
    if (!cancelled) {
      const view = await this.republishes.get(id);
      if (!view) throw notFound(id);
      throw new ProblemException({
        title: 'Conflict',
        status: 409,
        detail: `republish ${id} is ${view.status}; only a running one can be cancelled`,
        code: 'republish.not-running',
      });
    }
    await this.audit.record({
      adminId: request.adminId ?? 'admin',
      correlationId: request.id,
      action: 'history.republish.cancelled',
      target: id,
      parameters: { done: cancelled.progress.done, total: cancelled.progress.total },
    });
    return cancelled;
  }
}
