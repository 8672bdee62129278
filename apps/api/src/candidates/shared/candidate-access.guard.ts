import { type CanActivate, type ExecutionContext, Injectable, type Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { type FastifyRequest } from 'fastify';
import { AdminGuard } from '@feedwerk/platform';
import { notFound } from '../../shared/not-found';
import { CandidateTokens } from './candidate-tokens';

/** Who acts on a candidate's data: the candidate (by token) or an operator (admin credential). */
export type CandidateAccess = { readonly kind: 'candidate' } | { readonly kind: 'admin' };

export interface CandidateRequest extends FastifyRequest {
  candidateAccess?: CandidateAccess;
}

/** Guards that, besides the candidate's own token, grant access to any candidate (they act as admin). */
export const ADMIN_ALTERNATIVES: readonly Type<CanActivate>[] = [AdminGuard];

const noSuchCandidate = () => notFound('no such candidate', 'candidate.not-found');

/**
 * `/candidates/:candidateId...`: the bearer's candidate token must belong to that candidate. A valid
 * token of another candidate gets 404 (whether an id exists is not revealed); no or a bad token 401.
 * Without a candidate token, each ADMIN_ALTERNATIVES guard is tried in turn.
 */
@Injectable()
export class CandidateAccessGuard implements CanActivate {
  constructor(
    private readonly tokens: CandidateTokens,
    private readonly modules: ModuleRef,
  ) {}

  private readonly alternatives = new Map<Type<CanActivate>, Promise<CanActivate>>();

  /** One instance per alternative guard, built with its own dependencies from the module. */
  private instance(type: Type<CanActivate>): Promise<CanActivate> {
    let guard = this.alternatives.get(type);
    if (!guard) {
      guard = this.modules.create(type);
      this.alternatives.set(type, guard);
    }
    return guard;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context
      .switchToHttp()
      .getRequest<CandidateRequest & { params: Record<string, string> }>();
    const header = request.headers.authorization;
    if (header === undefined || !/^Bearer fwc_/.test(header)) {
      for (const alternative of ADMIN_ALTERNATIVES) {
        const guard = await this.instance(alternative);
        // A refusal by an admin guard is not the answer: the caller may be a candidate, whose
        // own error (401 below) says what is missing.
        const granted = await Promise.resolve(guard.canActivate(context) as boolean | Promise<boolean>).catch(
          () => false,
        );
        if (granted) {
          request.candidateAccess = { kind: 'admin' };
          return true;
        }
      }
      if (header === undefined)
        throw CandidateTokens.unauthorized(
          'a candidate token is required (Authorization: Bearer <candidateToken>)',
        );
    }
    const candidateId = await this.tokens.candidateOf(header);
    if (candidateId !== request.params.candidateId) throw noSuchCandidate();
    request.candidateAccess = { kind: 'candidate' };
    return true;
  }
}
