import { randomUUID } from 'node:crypto';
import { Body, Controller, Get, HttpCode, Post, Query, Req, UseGuards } from '@nestjs/common';
import {
  AdminRoutes,
  type DeadLetterList,
  DeadLetterQuery,
  DeadLetterReplayRequest,
  type DeadLetterReplayResult,
} from '@feedwerk/contracts';
import { AdminGuard, type AdminRequest, parseBody, parseRequestPart } from '@feedwerk/platform';
import { AdminAudit } from '../audit/admin-audit';
import { DeadLetterService } from './dead-letters.service';

/** How many replayed ids the audit record lists (its parameters are capped at 500 characters). */
const AUDITED_IDS = 40;

/** Dead letters: what the consumers parked, and replaying it (audited). Every route needs the admin credential. */
@Controller()
@UseGuards(AdminGuard)
export class DeadLetterController {
  constructor(
    private readonly deadLetters: DeadLetterService,
    private readonly audit: AdminAudit,
  ) {}

  @Get(AdminRoutes.deadLetters)
  list(@Query() query: unknown): Promise<DeadLetterList> {
    return this.deadLetters.list(parseRequestPart(DeadLetterQuery, query, 'query'));
  }

  @Post(AdminRoutes.deadLettersReplay)
  @HttpCode(200)
  async replay(@Body() body: unknown, @Req() request: AdminRequest): Promise<DeadLetterReplayResult> {
    const input = parseBody(DeadLetterReplayRequest, body);
    const { ids, unknownIds } = await this.deadLetters.select(input);
    const actionId = randomUUID();
    // Audited before anything is sent: no replay happens that the audit log does not know of.
    await this.audit.record({
      adminId: request.adminId ?? 'admin',
      correlationId: request.id,
      action: 'dead-letter.replayed',
      target: 'dead-letters',
      actionId,
      parameters: {
        selection: input.ids === undefined ? 'all' : 'ids',
        count: ids.length,
        ids: ids.slice(0, AUDITED_IDS).join(',') + (ids.length > AUDITED_IDS ? ',…' : ''),
      },
    });
    const replayed = await this.deadLetters.replay(ids, actionId);
    return { actionId, replayed, unknownIds };
  }
}
