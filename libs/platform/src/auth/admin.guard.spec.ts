import { type ExecutionContext } from '@nestjs/common';
import { issueApiKey } from './api-keys';
import { loadConfig } from '../config';
import { ProblemException } from '../http/problem';
import { AdminGuard, type AdminRequest } from './admin.guard';

const tokenA = 'admin-token-a-0123456789abcdefghijklmnopq';
const tokenB = 'admin-token-b-0123456789abcdefghijklmnopq';

const contextFor = (authorization?: string) => {
  const request = { headers: authorization ? { authorization } : {} } as AdminRequest;
  const context = { switchToHttp: () => ({ getRequest: () => request }) } as unknown as ExecutionContext;
  return { request, context };
};
const statusOf = (run: () => unknown): number | null => {
  try {
    run();
    return null;
  } catch (error) {
    return error instanceof ProblemException ? error.problem.status : -1;
  }
};

describe('admin settings', () => {
  it('reads ADMIN_TOKENS as a list and has none by default', () => {
    expect(loadConfig({}).ADMIN_TOKENS).toEqual([]);
    expect(loadConfig({ ADMIN_TOKENS: `${tokenA}, ${tokenB}` }).ADMIN_TOKENS).toEqual([tokenA, tokenB]);
  });

  it('refuses admin tokens shorter than 32 characters', () => {
    expect(() => loadConfig({ ADMIN_TOKENS: 'short' })).toThrow(/ADMIN_TOKENS.*32-256 characters/);
  });

  it('has rate limits high enough for a test suite by default, and configurable', () => {
    expect(loadConfig({})).toMatchObject({
      RATE_LIMIT_PER_IP: 6000,
      RATE_LIMIT_PER_KEY: 3000,
      IDEMPOTENCY_TTL_HOURS: 24,
    });
    expect(() => loadConfig({ RATE_LIMIT_PER_KEY: '0' })).toThrow(/RATE_LIMIT_PER_KEY/);
  });
});

describe('AdminGuard', () => {
  const guard = new AdminGuard(loadConfig({ ADMIN_TOKENS: `${tokenA},${tokenB}` }));

  it('lets every configured admin token in and names the admin by a fingerprint, not the token', () => {
    const a = contextFor(`Bearer ${tokenA}`);
    const b = contextFor(`Bearer ${tokenB}`);
    expect(guard.canActivate(a.context)).toBe(true);
    expect(guard.canActivate(b.context)).toBe(true);
    expect(a.request.adminId).toMatch(/^admin-[0-9a-f]{12}$/);
    expect(a.request.adminId).not.toBe(b.request.adminId);
    expect(a.request.adminId).not.toContain(tokenA.slice(0, 12));
  });

  it('answers 401 without a credential or with a wrong token, 403 for an employer API key', () => {
    expect(statusOf(() => guard.canActivate(contextFor().context))).toBe(401);
    expect(statusOf(() => guard.canActivate(contextFor(`Bearer ${tokenA}x`).context))).toBe(401);
    expect(statusOf(() => guard.canActivate(contextFor(`Basic ${tokenA}`).context))).toBe(401);
    expect(statusOf(() => guard.canActivate(contextFor(`Bearer ${issueApiKey().apiKey}`).context))).toBe(403);
  });

  it('refuses everyone when no admin token is configured', () => {
    const closed = new AdminGuard(loadConfig({}));
    expect(statusOf(() => closed.canActivate(contextFor(`Bearer ${tokenA}`).context))).toBe(401);
  });
});
