import { createHash, timingSafeEqual } from 'node:crypto';
import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { FEEDWERK_CONFIG, type FeedwerkConfig } from '../config';
import { ProblemException } from '../http/problem';
import { parseApiKey } from './api-keys';
import { type FastifyRequest } from 'fastify';

/** The admin behind a request: a non-secret fingerprint of the token used, for the events' actor. */
export interface AdminRequest extends FastifyRequest {
  adminId?: string;
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * `Authorization: Bearer <admin token>`, the tokens coming from ADMIN_TOKENS. The presented token is
 * compared with every configured one through fixed-length SHA-256 digests and timingSafeEqual, with
 * no early exit, so timing tells neither which token nor how much of one matched. A valid employer
 * API key is a credential without the right: 403; anything else is 401.
 */
@Injectable()
export class AdminGuard implements CanActivate {
  private readonly tokens: readonly { digest: Buffer; id: string }[];

  constructor(@Inject(FEEDWERK_CONFIG) config: FeedwerkConfig) {
    this.tokens = config.ADMIN_TOKENS.map((token) => ({
      digest: digest(token),
      id: `admin-${digest(`feedwerk-admin-id:${token}`).toString('hex').slice(0, 12)}`,
    }));
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AdminRequest>();
    const header = request.headers.authorization;
    const token = header ? /^Bearer (\S+)$/.exec(header)?.[1] : undefined;
    if (!token) {
      throw new ProblemException(
        {
          title: 'Unauthorized',
          status: 401,
          detail: 'an admin credential is required',
          code: 'unauthorized',
        },
        { 'www-authenticate': 'Bearer realm="feedwerk-admin"' },
      );
    }
    const presented = digest(token);
    let match: string | null = null;
    for (const known of this.tokens) {
      if (timingSafeEqual(presented, known.digest)) match = known.id;
    }
    if (match) {
      request.adminId = match;
      return true;
    }
    if (parseApiKey(token)) {
      throw new ProblemException({
        title: 'Forbidden',
        status: 403,
        detail: 'this action needs the admin credential; an employer API key does not grant it',
        code: 'admin-only',
      });
    }
    throw new ProblemException(
      {
        title: 'Unauthorized',
        status: 401,
        detail: 'the admin credential is not valid',
        code: 'unauthorized',
      },
      { 'www-authenticate': 'Bearer realm="feedwerk-admin"' },
    );
  }
}
