import { isBusinessDay, isQuebecHoliday, isWithinRamqHours, ramqLinesStatus, ramqHoursOn } from '../../domain/hours';

// Instants are written with their Québec offset (EDT -04:00 in summer, EST -05:00 in winter).
const at = (iso: string): Date => new Date(iso);

describe('RAMQ phone hours', () => {
  it('when it is Wednesday 9:30, then the lines are closed and open at 10:00 the same day', () => {
    expect(ramqLinesStatus(at('2025-06-25T09:30:00-04:00'))).toEqual({ open: false, nextOpening: at('2025-06-25T10:00:00-04:00'), closesAt: null });
  });

  it('when it is Wednesday 10:05, then the lines are open until noon', () => {
    expect(ramqLinesStatus(at('2025-06-25T10:05:00-04:00'))).toEqual({ open: true, nextOpening: null, closesAt: at('2025-06-25T12:00:00-04:00') });
  });

  it('when it is Monday 12:30 (lunch), then the lines are closed until 13:00', () => {
    expect(ramqLinesStatus(at('2025-06-23T12:30:00-04:00'))).toEqual({ open: false, nextOpening: at('2025-06-23T13:00:00-04:00'), closesAt: null });
  });

  it('when it is Monday 8:30 sharp, then the lines are open; at 16:30 sharp they are closed', () => {
    expect(ramqLinesStatus(at('2025-06-23T08:30:00-04:00')).open).toBe(true);
    expect(ramqLinesStatus(at('2025-06-23T16:29:59-04:00')).open).toBe(true);
    expect(ramqLinesStatus(at('2025-06-23T16:30:00-04:00')).open).toBe(false);
    expect(ramqLinesStatus(at('2025-06-23T12:00:00-04:00')).open).toBe(false);
  });

  it('when it is Wednesday 8:45, then the lines are still closed (Wednesday opens at 10:00)', () => {
    expect(isWithinRamqHours(at('2025-06-25T08:45:00-04:00'))).toBe(false);
  });

  it('when it is Christmas morning, then the lines are closed and reopen on December 26 at 8:30', () => {
    expect(ramqLinesStatus(at('2025-12-25T10:00:00-05:00'))).toEqual({ open: false, nextOpening: at('2025-12-26T08:30:00-05:00'), closesAt: null });
  });

  it('when it is Saint-Jean-Baptiste (June 24) morning, then the lines are closed and reopen the next day, a Wednesday, at 10:00', () => {
    expect(ramqLinesStatus(at('2025-06-24T10:00:00-04:00'))).toEqual({ open: false, nextOpening: at('2025-06-25T10:00:00-04:00'), closesAt: null });
  });

  it('when it is Saturday, then the lines are closed until Monday 8:30', () => {
    expect(ramqLinesStatus(at('2025-06-21T10:00:00-04:00'))).toEqual({ open: false, nextOpening: at('2025-06-23T08:30:00-04:00'), closesAt: null });
  });

  it('when it is Friday evening before Labour Day, then the next opening skips the weekend and the holiday', () => {
    expect(ramqLinesStatus(at('2025-08-29T17:00:00-04:00')).nextOpening).toEqual(at('2025-09-02T08:30:00-04:00'));
  });

  it('when Canada Day falls on a Monday (2024), then from Friday evening the lines reopen Tuesday July 2', () => {
    expect(ramqLinesStatus(at('2024-06-28T18:00:00-04:00')).nextOpening).toEqual(at('2024-07-02T08:30:00-04:00'));
  });

  it('when the clocks change over the weekend, then the next opening is 8:30 local time', () => {
    // Friday 2025-03-07 (EST) → Monday 2025-03-10 (EDT).
    expect(ramqLinesStatus(at('2025-03-07T17:00:00-05:00')).nextOpening).toEqual(at('2025-03-10T08:30:00-04:00'));
  });
});

describe('Québec holidays and business days', () => {
  it('when the instant is late evening of June 24 in Québec (already June 25 in UTC), then it is still the holiday', () => {
    expect(isQuebecHoliday(at('2025-06-25T03:30:00Z'))).toBe(true);
    expect(isBusinessDay(at('2025-06-25T03:30:00Z'))).toBe(false);
  });

  it.each([
    ['2025-01-01T12:00:00-05:00', true],
    ['2025-04-18T12:00:00-04:00', true], // Good Friday
    ['2025-05-19T12:00:00-04:00', true], // Journée nationale des patriotes
    ['2025-07-01T12:00:00-04:00', true],
    ['2025-10-13T12:00:00-04:00', true], // Thanksgiving
    ['2025-12-25T12:00:00-05:00', true],
    ['2025-06-23T12:00:00-04:00', false],
    ['2025-02-14T12:00:00-05:00', false], // an observance, not a holiday
  ])('when the day is %s, then isQuebecHoliday is %s', (iso, expected) => {
    expect(isQuebecHoliday(at(iso))).toBe(expected);
  });

  it('when the day is a weekend or a holiday, then it is not a business day and has no hours', () => {
    expect(isBusinessDay(at('2025-06-22T12:00:00-04:00'))).toBe(false);
    expect(ramqHoursOn(at('2025-06-24T12:00:00-04:00'))).toEqual([]);
    expect(isBusinessDay(at('2025-06-26T12:00:00-04:00'))).toBe(true);
  });
});
