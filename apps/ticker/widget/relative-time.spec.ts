import { relativeTime } from './relative-time';

const now = Date.parse('2026-11-27T12:00:00.000Z');
const ago = (seconds: number) => new Date(now - seconds * 1000).toISOString();

describe('relative times in the box', () => {
  it.each([
    [10, 'de', 'gerade eben'],
    [10, 'en', 'just now'],
    [120, 'de', 'vor 2 Minuten'],
    [120, 'en', '2 minutes ago'],
    [3 * 3600, 'de', 'vor 3 Stunden'],
    [30 * 3600, 'de', 'gestern'],
    [30 * 3600, 'en', 'yesterday'],
  ] as const)('%i s ago in %s reads "%s"', (seconds, lang, expected) => {
    expect(relativeTime(ago(seconds), now, lang)).toBe(expected);
  });

  it('reads "gerade eben" for an event stamped slightly in the future (clock skew)', () => {
    expect(relativeTime(new Date(now + 5_000).toISOString(), now, 'de')).toBe('gerade eben');
  });

  it('shows nothing for a time it cannot read', () => {
    expect(relativeTime('not a date', now, 'de')).toBe('');
  });
});
