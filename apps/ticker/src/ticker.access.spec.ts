import { loadConfig } from '@feedwerk/platform';
import { TickerAccess } from './ticker.access';

const access = (env: Record<string, string> = {}) => new TickerAccess(loadConfig(env));

describe('ticker access: origins per portal and connections per IP', () => {
  const policy = access({
    TICKER_ALLOWED_ORIGINS:
      'berlin=https://jobs-berlin.example,https://www.jobs-berlin.example; *=http://localhost:3000',
  });

  it("lets a portal's own pages and the shared origins show its box, and nobody else", () => {
    expect(policy.originAllowed('berlin', 'https://www.jobs-berlin.example')).toBe(true);
    expect(policy.originAllowed('berlin', 'http://localhost:3000')).toBe(true);
    expect(policy.originAllowed('hamburg', 'http://localhost:3000')).toBe(true);
    expect(policy.originAllowed('hamburg', 'https://jobs-berlin.example')).toBe(false);
    expect(policy.originAllowed('berlin', 'https://evil.example')).toBe(false);
    expect(policy.originAllowed('berlin', 'null')).toBe(false);
  });

  it('admits a handshake from any listed origin, since the portal is only known at subscribe', () => {
    expect(policy.originAllowedSomewhere('https://jobs-berlin.example')).toBe(true);
    expect(policy.originAllowedSomewhere('https://evil.example')).toBe(false);
  });

  it('lets non-browser clients (no Origin header) through: the per-IP cap bounds them', () => {
    expect(policy.originAllowed('berlin', undefined)).toBe(true);
  });

  it('allows any origin by default (embedded demo and widget test pages)', () => {
    expect(access().originAllowed('berlin', 'http://127.0.0.1:41234')).toBe(true);
  });

  it('stops on a malformed allow-list, naming the setting', () => {
    for (const bad of [
      'berlin',
      'Berlin=https://a.example',
      'berlin=https://a.example/path',
      'berlin=not a url',
    ]) {
      expect(() => loadConfig({ TICKER_ALLOWED_ORIGINS: bad })).toThrow(/TICKER_ALLOWED_ORIGINS/);
    }
  });

  it('counts connections per IP up to the cap and frees them again', () => {
    const capped = access({ TICKER_MAX_CONNECTIONS_PER_IP: '2' });
    expect([capped.acquire('10.0.0.1'), capped.acquire('10.0.0.1'), capped.acquire('10.0.0.1')]).toEqual([
      true,
      true,
      false,
    ]);
    expect(capped.acquire('10.0.0.2')).toBe(true);
    capped.release('10.0.0.1');
    expect(capped.acquire('10.0.0.1')).toBe(true);
  });
});
