import { chartPoints } from './chart';
import { formatRate, isoFrom, nowLocal } from './format';
import { describeProblem } from './problem';

describe('the admin page, what it writes', () => {
  it('says a problem answer in one line: status, title, detail, then each invalid field', () => {
    expect(
      describeProblem(400, {
        title: 'Bad Request',
        detail: 'The query is not valid',
        errors: [{ path: 'limit', message: 'must be at most 500' }],
      }),
    ).toBe('400 Bad Request: The query is not valid — limit: must be at most 500');
    expect(describeProblem(401, { title: 'Unauthorized', detail: 'the admin credential is not valid' })).toBe(
      '401 Unauthorized: the admin credential is not valid',
    );
  });

  it('says "no details" when an answer is not a problem (a proxy page, an empty body)', () => {
    expect(describeProblem(502, null)).toBe('502 : no details');
    expect(describeProblem(500, '<html>')).toBe('500 : no details');
  });

  it('shows rates with one decimal below 100, whole from 100, and a dash when unknown', () => {
    expect([formatRate(0.25), formatRate(12.34), formatRate(123.6), formatRate(null)]).toEqual([
      '0.3',
      '12.3',
      '124',
      '–',
    ]);
  });

  it('reads a local time as an ISO time, an empty field as no filter', () => {
    expect(isoFrom('')).toBeUndefined();
    expect(isoFrom('2026-11-27T10:00:00')).toBe(new Date('2026-11-27T10:00:00').toISOString());
  });

  it('proposes the next full second in local time, so "now" includes the current one', () => {
    const now = new Date(2026, 10, 27, 10, 0, 0, 400);
    expect(nowLocal(now)).toBe('2026-11-27T10:00:01');
  });
});

describe('the health charts', () => {
  it('puts the newest sample at the right edge and the largest value at full height', () => {
    expect(chartPoints([0, 5, 10], 10)).toBe('293.3,78.0 296.6,47.0 300.0,16.0');
  });

  it('leaves out samples without a value (a group seen late), keeping the others in place', () => {
    expect(chartPoints([null, 4], 4)).toBe('300.0,16.0');
    expect(chartPoints([null, null], 1)).toBe('');
  });
});
