import { type CanActivate, type ExecutionContext, type Type } from '@nestjs/common';
import { type ModuleRef } from '@nestjs/core';
import { type FeedwerkConfig, ProblemException } from '@feedwerk/platform';
import { AdminGuard } from '@feedwerk/platform';
import { ADMIN_ALTERNATIVES, CandidateAccessGuard, type CandidateRequest } from './candidate-access.guard';
import { type CandidateTokens } from './candidate-tokens';

const CANDIDATE = '6f1c2b7e-3d4a-4b8e-9c1d-2e3f4a5b6c7d';
const TOKEN = `fwc_${'a'.repeat(16)}_${'B'.repeat(43)}`;

const ADMIN = 'admin-token-of-the-test-0123456789abcdef';

const tokens = {
  candidateOf: async (header: string | undefined) => {
    if (header === undefined) return null;
    if (header !== `Bearer ${TOKEN}`)
      throw new ProblemException({ title: 'Unauthorized', status: 401, detail: 'no' });
    return CANDIDATE;
  },
} as unknown as CandidateTokens;
const modules = {
  create: async (type: Type<CanActivate>) =>
    type === AdminGuard ? new AdminGuard({ ADMIN_TOKENS: [ADMIN] } as unknown as FeedwerkConfig) : new type(),
} as unknown as ModuleRef;

function attempt(headers: Record<string, string>, candidateId = CANDIDATE) {
  const request = { headers, params: { candidateId } } as unknown as CandidateRequest;
  const context = { switchToHttp: () => ({ getRequest: () => request }) } as unknown as ExecutionContext;
  return new CandidateAccessGuard(tokens, modules).canActivate(context).then(
    () => ({ status: 200, access: request.candidateAccess?.kind }),
    (error: ProblemException) => ({ status: error.problem.status, access: undefined }),
  );
}

describe('CandidateAccessGuard', () => {
  it('lets a candidate act on their own data only: another id is 404, no or a bad token 401', async () => {
    expect(await attempt({ authorization: `Bearer ${TOKEN}` })).toEqual({ status: 200, access: 'candidate' });
    expect(
      await attempt({ authorization: `Bearer ${TOKEN}` }, '00000000-0000-4000-8000-000000000000'),
    ).toEqual({
      status: 404,
      access: undefined,
    });
    expect((await attempt({})).status).toBe(401);
    expect((await attempt({ authorization: `Bearer fwc_${'0'.repeat(16)}_${'A'.repeat(43)}` })).status).toBe(
      401,
    );
  });

  it('lets an admin (ADMIN_TOKENS) act on any candidate, and still refuses everyone else', async () => {
    expect(ADMIN_ALTERNATIVES).toContain(AdminGuard);
    expect(
      await attempt({ authorization: `Bearer ${ADMIN}` }, '00000000-0000-4000-8000-000000000000'),
    ).toEqual({ status: 200, access: 'admin' });
    expect((await attempt({ authorization: 'Bearer not-the-admin-token-0123456789abcdef' })).status).toBe(
      401,
    );
    expect(await attempt({ authorization: `Bearer ${TOKEN}` })).toEqual({ status: 200, access: 'candidate' });
  });
});
