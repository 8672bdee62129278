import { countKeys, hourOf, keyOf, NONE, toRows } from './counts';
import { textTable, htmlTable } from './table';

const at = '2026-11-27T07:42:10.123Z';

describe('analytics-example counts', () => {
  it('cuts ce_time to the hour', () => {
    expect(hourOf(at)).toBe('2026-11-27T07:00Z');
    expect(hourOf('yesterday')).toBeNull();
  });

  it('takes portal and location.region of a JobPosted', () => {
    expect(
      countKeys(
        { type: 'JobPosted', time: at },
        { portal: 'berlin', location: { region: 'BE', city: 'Berlin' } },
      ),
    ).toEqual([{ type: 'JobPosted', portal: 'berlin', region: 'BE', hour: '2026-11-27T07:00Z' }]);
  });

  it('counts a JobsRefreshed once for each of its portals, and marks what is missing', () => {
    const keys = countKeys(
      { type: 'JobsRefreshed', time: at },
      {
        portals: [
          { portal: 'berlin', count: 3 },
          { portal: 'hamburg', count: 1 },
        ],
      },
    );
    expect(keys?.map((k) => [k.portal, k.region])).toEqual([
      ['berlin', NONE],
      ['hamburg', NONE],
    ]);
    expect(countKeys({ type: 'EmployerRegistered', time: at }, { city: 'Köln' })?.[0]?.portal).toBe(NONE);
  });

  it('reads the item of an activity change, and refuses what is not a public record', () => {
    expect(
      countKeys({ type: 'ActivityItemChanged', time: at }, { item: { portal: 'muenchen', region: 'BY' } }),
    ).toEqual([{ type: 'ActivityItemChanged', portal: 'muenchen', region: 'BY', hour: '2026-11-27T07:00Z' }]);
    expect(countKeys({ type: 'JobPosted' }, { portal: 'x' })).toBeNull();
    expect(countKeys({ type: 'JobPosted', time: at }, [1, 2])).toBeNull();
  });

  it('shows the counts newest hour first, as text and as escaped HTML', () => {
    const rows = toRows({
      [keyOf({ type: 'JobPosted', portal: 'berlin', region: 'BE', hour: '2026-11-27T06:00Z' })]: 2,
      [keyOf({ type: 'JobPosted', portal: '<b>', region: 'BE', hour: '2026-11-27T07:00Z' })]: 5,
    });
    expect(rows.map((r) => r.count)).toEqual([5, 2]);
    expect(textTable(rows).split('\n')[2]).toMatch(/^2026-11-27T07:00Z\s+JobPosted\s+<b>\s+BE\s+5$/);
    expect(htmlTable(rows)).toContain('&#60;b&#62;');
  });
});
