import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { parseApiKey, ProblemException } from '@feedwerk/platform';
import { type FastifyRequest } from 'fastify';
import { VerifiedApiKeys } from './verified-api-keys';

/** The authenticated employer of a request; the tenant always comes from the credential, never from the body. */
export interface AuthenticatedRequest extends FastifyRequest {
  employerId?: string;
}

const unauthorized = (detail: string) =>
  new ProblemException(
    { title: 'Unauthorized', status: 401, detail, code: 'unauthorized' },
    { 'www-authenticate': 'Bearer realm="feedwerk"' },
  );

/**
 * `Authorization: Bearer fwk_<keyId>_<secret>`: finds the key by id (recently verified keys from
 * memory, see VerifiedApiKeys) and checks its hash in constant time.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(private readonly keys: VerifiedApiKeys) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization;
    if (!header) throw unauthorized('an employer API key is required (Authorization: Bearer <apiKey>)');
    const match = /^Bearer (\S+)$/.exec(header);
    const parsed = match?.[1] ? parseApiKey(match[1]) : null;
    if (!parsed) throw unauthorized('the API key is malformed');
    const employerId = await this.keys.employerOf(parsed.keyId, parsed.secret);
    if (!employerId) throw unauthorized('the API key is not valid');
    request.employerId = employerId;
    return true;
  }
}

/** The employer the ApiKeyGuard authenticated; a route without the guard is a programming error. */
export function employerOf(request: AuthenticatedRequest): string {
  if (!request.employerId) throw new Error('ApiKeyGuard did not run');
  return request.employerId;
}
