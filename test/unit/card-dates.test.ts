import fc from 'fast-check';
import { formatDateTime, formatDateTimeWithLuxon } from '../../cards/managerRequest';
import type { Lang } from '../../domain/i18n';

const LANGS: Lang[] = ['fr', 'en'];

/** Compares the cached-Intl formatting with luxon's for one input in both languages. */
function expectSame(value: Date | string): void {
  for (const lang of LANGS) {
    const [actual, expected] = [formatDateTime(value, lang), formatDateTimeWithLuxon(value, lang)];
    // (expect only on a difference: thousands of comparisons stay fast, and a difference shows the input)
    if (actual !== expected) expect([value, lang, actual]).toEqual([value, lang, expected]);
  }
}

/** Every hour around the DST changes in America/Toronto (and in Europe, where a wrong zone would show). */
const DST_EDGES = ['2026-03-08T06:00:00Z', '2026-11-01T05:00:00Z', '2025-03-09T06:00:00Z', '2025-11-02T05:00:00Z', '2026-03-29T01:00:00Z', '2024-02-29T12:00:00Z', '2026-12-31T23:30:00Z', '2027-01-01T04:59:59Z'];

/** Representations of one instant: as stored in UTC, and with offsets as other systems write them. */
function isoForms(date: Date): string[] {
  const iso = date.toISOString();
  const noMillis = iso.replace(/\.\d{3}Z$/, 'Z');
  const noSeconds = iso.replace(/:\d{2}\.\d{3}Z$/, 'Z');
  const withOffset = (minutes: number) => {
    const shifted = new Date(date.getTime() + minutes * 60_000).toISOString().slice(0, 23);
    const sign = minutes < 0 ? '-' : '+';
    const abs = Math.abs(minutes);
    return `${shifted}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  };
  return [iso, noMillis, noSeconds, iso.replace(/\.(\d)\d\dZ$/, '.$1Z'), withOffset(-300), withOffset(-240), withOffset(330), withOffset(0).replace('+', '-'), withOffset(-30)];
}

describe('managers’ card dates: cached Intl formatter against luxon', () => {
  test('when dates fall around daylight-saving changes, month ends and midnight, then both give the same text', () => {
    for (const edge of DST_EDGES) {
      const start = Date.parse(edge) - 6 * 3_600_000;
      for (let minutes = 0; minutes <= 12 * 60; minutes += 15) {
        const date = new Date(start + minutes * 60_000);
        expectSame(date);
        for (const iso of isoForms(date)) expectSame(iso);
      }
    }
  });

  test('when dates are random (years 1000–9999, any millisecond), then both give the same text for Date and ISO inputs', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }), (date) => {
        expectSame(date);
        for (const iso of isoForms(date)) expectSame(iso);
      }),
      { numRuns: 2000 },
    );
  });

  test('when strings are odd, partial, out of range or not dates at all, then both give the same text (— when invalid)', () => {
    const odd = [
      '',
      'hier',
      'March 2, 2026',
      '2026-03-02',
      '2026-03-02T14:05',
      '2026-03-02T14:05:00',
      '2026-03-02T14:05:00.123456Z',
      '2026-03-02 14:05:00Z',
      '2026-02-30T10:00:00Z',
      '2026-02-29T10:00:00Z',
      '2024-02-29T10:00:00Z',
      '2026-13-01T10:00:00Z',
      '2026-03-02T24:00:00Z',
      '2026-03-02T23:60:00Z',
      '2026-03-02T23:59:60Z',
      '2026-03-02T10:00:00+24:00',
      '2026-03-02T10:00:00+14:00',
      '2026-03-02T10:00:00+05:60',
      '2026-03-02T10:00:00-00:00',
      '2026-03-02T10:00:00+0500',
      '2026-03-02T10:00:00z',
      '0999-03-02T10:00:00Z',
      '0099-03-02T10:00:00Z',
      '2026-W10-1T10:00:00Z',
      '2026-061T10:00:00Z',
      '+002026-03-02T10:00:00Z',
      ' 2026-03-02T10:00:00Z',
    ];
    for (const value of odd) expectSame(value);
    const digits = (n: number) => fc.integer({ min: 0, max: 10 ** n - 1 }).map((v) => String(v).padStart(n, '0'));
    fc.assert(
      fc.property(
        digits(4),
        digits(2),
        digits(2),
        digits(2),
        digits(2),
        fc.option(digits(2)),
        fc.option(fc.integer({ min: 1, max: 4 }).chain((n) => digits(n))),
        fc.oneof(fc.constant('Z'), fc.tuple(fc.constantFrom('+', '-'), digits(2), digits(2)).map(([s, h, m]) => `${s}${h}:${m}`)),
        (y, mo, d, h, mi, s, ms, offset) => expectSame(`${y}-${mo}-${d}T${h}:${mi}${s === null ? '' : `:${s}${ms === null ? '' : `.${ms}`}`}${offset}`),
      ),
      { numRuns: 3000 },
    );
  });

  test('when the Date is invalid, then both show —', () => {
    expectSame(new Date(Number.NaN));
    expect(formatDateTime(new Date('nope'), 'fr')).toBe('—');
    expect(formatDateTime('nope', 'en')).toBe('—');
  });

  test('when a date is shown, then it reads as Teams users expect it in each language', () => {
    expect(formatDateTime('2026-03-02T14:05:00Z', 'en')).toBe(formatDateTimeWithLuxon('2026-03-02T14:05:00Z', 'en'));
    expect(formatDateTime(new Date('2026-03-02T14:05:00Z'), 'fr')).toMatch(/^2 mars 2026/);
    expect(formatDateTime(new Date('2026-03-02T14:05:00Z'), 'en')).toMatch(/^Mar 2, 2026/);
  });
});
