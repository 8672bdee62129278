import { Controller, Delete, HttpCode, Param, Req, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { parseParams } from '../shared/params';
import { commandContext } from '../../shared/command-context';
import { CandidateAccessGuard, type CandidateRequest } from '../shared/candidate-access.guard';
import { CandidateParams, EraseCandidateCommand, type ErasureReceipt } from './erase-candidate.command';
import { CountCommand } from '../../shared/command-metrics';

@Controller('candidates')
export class EraseCandidateController {
  constructor(private readonly commands: CommandBus) {}

  /** DELETE /candidates/:candidateId (candidate token or admin) → 200 receipt; again → the same receipt. */
  @Delete(':candidateId')
  @HttpCode(200)
  @UseGuards(CandidateAccessGuard, CountCommand)
  async erase(@Param() params: unknown, @Req() request: CandidateRequest): Promise<ErasureReceipt> {
    const { candidateId } = parseParams(CandidateParams, params);
    const context = commandContext({
      // The candidate id is pseudonymous personal data: it is the stream, never the actor.
      actor:
        request.candidateAccess?.kind === 'admin'
          ? { kind: 'admin', id: null }
          : { kind: 'anonymous', id: null },
      correlationId: request.id,
      route: 'DELETE /candidates/:candidateId',
      body: {},
      idempotencyKey: undefined,
    });
    return this.commands.execute(new EraseCandidateCommand(candidateId, context));
  }
}
