import type Holidays from 'date-holidays';
import { DateTime } from 'luxon';

/** The time zone RAMQ's published phone hours are expressed in. */
export const RAMQ_ZONE = 'America/Toronto';

/** A half-open opening interval within one day, in minutes after midnight local time. */
export interface OpeningInterval {
  from: number;
  to: number;
}

const at = (hour: number, minute = 0): number => hour * 60 + minute;

/** RAMQ phone hours on an ordinary weekday: 8:30–12:00 and 13:00–16:30. */
export const RAMQ_WEEKDAY_HOURS: readonly OpeningInterval[] = [
  { from: at(8, 30), to: at(12) },
  { from: at(13), to: at(16, 30) },
];

/** RAMQ phone hours on Wednesday: 10:00–12:00 and 13:00–16:30. */
export const RAMQ_WEDNESDAY_HOURS: readonly OpeningInterval[] = [
  { from: at(10), to: at(12) },
  { from: at(13), to: at(16, 30) },
];

const WEDNESDAY = 3;
/** How far ahead {@link ramqLinesStatus} looks for the next opening (covers the longest holiday stretch with room to spare). */
const LOOKAHEAD_DAYS = 30;

let holidays: Holidays | undefined;

/** Québec's holiday calendar, loaded on the first hours question (date-holidays holds every country's rules: ~20 MiB). */
function quebecHolidays(): Holidays {
  if (!holidays) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const HolidaysClass = require('date-holidays') as typeof Holidays;
    holidays = new HolidaysClass('CA', 'QC', { timezone: RAMQ_ZONE });
  }
  return holidays;
}

/** The date as a local day in America/Toronto. */
function localDay(date: Date | DateTime): DateTime {
  const dt = date instanceof Date ? DateTime.fromJSDate(date) : date;
  return dt.setZone(RAMQ_ZONE).startOf('day');
}

/**
 * Tells whether the local day (America/Toronto) of `date` is a Québec statutory holiday.
 * @remarks Uses date-holidays (CA, QC), type `public` only: New Year's Day, Good Friday, National Patriots' Day,
 * Fête nationale (June 24), Canada Day, Labour Day, Thanksgiving, Christmas.
 */
export function isQuebecHoliday(date: Date): boolean {
  const day = localDay(date);
  return holidayDates(day.year).has(day.toISODate() ?? '');
}

const holidaysByYear = new Map<number, ReadonlySet<string>>();

/** The local dates (yyyy-MM-dd) of one year's Québec statutory holidays, computed once per year. */
function holidayDates(year: number): ReadonlySet<string> {
  let dates = holidaysByYear.get(year);
  if (!dates) {
    // date-holidays gives `date` as local "yyyy-MM-dd hh:mm:ss" in the configured zone.
    dates = new Set(quebecHolidays().getHolidays(year).filter((h) => h.type === 'public').map((h) => h.date.slice(0, 10)));
    holidaysByYear.set(year, dates);
  }
  return dates;
}

/** Tells whether the local day (America/Toronto) of `date` is a business day: Monday to Friday and not a Québec statutory holiday. */
export function isBusinessDay(date: Date): boolean {
  const day = localDay(date);
  return day.weekday <= 5 && !isQuebecHoliday(day.toJSDate());
}

/** RAMQ phone hours of the local day of `date` (empty on weekends and holidays). */
export function ramqHoursOn(date: Date): readonly OpeningInterval[] {
  if (!isBusinessDay(date)) return [];
  return localDay(date).weekday === WEDNESDAY ? RAMQ_WEDNESDAY_HOURS : RAMQ_WEEKDAY_HOURS;
}

/** Whether the RAMQ general phone lines are open at an instant, when they close, and when they next open. */
export interface RamqLinesStatus {
  open: boolean;
  /** When closed: the start of the next opening interval (null if none within 30 days, which does not happen in practice). */
  nextOpening: Date | null;
  /** When open: the end of the current interval (12:00 or 16:30 local time). */
  closesAt: Date | null;
}

/** Says whether the RAMQ general phone lines are open at `now` (America/Toronto, Québec statutory holidays closed). */
export function ramqLinesStatus(now: Date): RamqLinesStatus {
  const instant = now.getTime();
  const today = localDay(now);
  for (let offset = 0; offset <= LOOKAHEAD_DAYS; offset += 1) {
    const day = today.plus({ days: offset });
    for (const interval of ramqHoursOn(day.toJSDate())) {
      const start = day.set({ hour: Math.floor(interval.from / 60), minute: interval.from % 60 }).toJSDate();
      const end = day.set({ hour: Math.floor(interval.to / 60), minute: interval.to % 60 }).toJSDate();
      if (instant >= start.getTime() && instant < end.getTime()) return { open: true, nextOpening: null, closesAt: end };
      if (start.getTime() > instant) return { open: false, nextOpening: start, closesAt: null };
    }
  }
  return { open: false, nextOpening: null, closesAt: null };
}

/** Tells whether `now` falls within RAMQ phone hours (a business day, inside one of the day's intervals). */
export function isWithinRamqHours(now: Date): boolean {
  return ramqLinesStatus(now).open;
}
