import {
  availableActions,
  codeExpiry,
  codeSentAt,
  decide,
  firstDeadline,
  nextDeadline,
  nextReminderWindow,
  normalizeReason,
  reminderSchedule,
  sweepStep,
  withinReminderHours,
  type LifecycleState,
  type ReminderPolicy,
} from '../../domain/requests/lifecycle';

const POLICY: ReminderPolicy = { days: [3, 4], hours: { from: 8 * 60 + 30, to: 16 * 60 + 30 } };
const iso = (d: Date) => d.toISOString();

describe('request lifecycle: who may do what', () => {
  test.each([
    ['access_with_code', 'submitted', ['claim', 'reject']],
    ['access_with_code', 'in_progress', ['complete', 'reject']],
    ['access_without_code', 'in_progress', ['codeSent', 'reject']],
    ['withdrawal', 'in_progress', ['complete', 'reject']],
    ['access_without_code', 'code_sent', ['complete', 'codeSent', 'reject']],
    ['access_without_code', 'expired', ['codeSent', 'reject']],
    ['access_with_code', 'completed', []],
    ['access_without_code', 'rejected', []],
    ['withdrawal', 'cancelled', []],
  ])('when a %s request is %s, then the card offers %j', (kind, status, actions) => {
    expect(availableActions({ kind, status })).toEqual(actions);
  });

  const submitted: LifecycleState = { kind: 'access_without_code', status: 'submitted', assigneeId: null };
  const mine: LifecycleState = { kind: 'access_without_code', status: 'in_progress', assigneeId: 'luc' };

  test.each<[string, Parameters<typeof decide>, ReturnType<typeof decide>]>([
    ['claim of a new request', ['claim', submitted, 'luc'], { ok: true, to: 'in_progress' }],
    ['claim of a request someone else has', ['claim', mine, 'marie'], { ok: false, reason: 'taken' }],
    ['second claim by the same manager', ['claim', mine, 'luc'], { ok: false, reason: 'already_yours' }],
    ['code sent by the assignee', ['codeSent', mine, 'luc'], { ok: true, to: 'code_sent' }],
    ['code sent by another manager', ['codeSent', mine, 'marie'], { ok: false, reason: 'taken' }],
    ['code sent for a request with a RAMQ code', ['codeSent', { ...mine, kind: 'access_with_code' }, 'luc'], { ok: false, reason: 'not_allowed' }],
    ['completion before the code was sent', ['complete', mine, 'luc'], { ok: false, reason: 'not_allowed' }],
    ['completion after the code was sent', ['complete', { ...mine, status: 'code_sent' }, 'luc'], { ok: true, to: 'completed' }],
    ['a new code after expiry', ['codeSent', { ...mine, status: 'expired' }, 'luc'], { ok: true, to: 'code_sent' }],
    ['rejection without a reason', ['reject', submitted, 'marie', { reason: '   ' }], { ok: false, reason: 'reason_required' }],
    ['rejection of a new request with a reason', ['reject', submitted, 'marie', { reason: 'Autorisation manquante' }], { ok: true, to: 'rejected' }],
    ['any action on a completed request', ['reject', { ...mine, status: 'completed' }, 'luc', { reason: 'x' }], { ok: false, reason: 'closed' }],
    ['claim of a cancelled request', ['claim', { ...submitted, status: 'cancelled' }, 'luc'], { ok: false, reason: 'closed' }],
  ])('when %s, then the decision is right', (_name, args, expected) => {
    expect(decide(...args)).toEqual(expected);
  });

  test('when a reason is long or spaced, then it is trimmed, collapsed and bounded', () => {
    expect(normalizeReason('  Autorisation \n manquante ')).toBe('Autorisation manquante');
    expect(normalizeReason('x'.repeat(900))).toHaveLength(500);
    expect(normalizeReason(42)).toBeUndefined();
  });
});

describe('secret code: expiry and reminders (America/Toronto, Québec holidays)', () => {
  test('when a code is sent, then it expires 5 calendar days later at the same local time, across a DST change', () => {
    // 2026-03-05 10:00 EST; clocks go forward on 2026-03-08: expiry 2026-03-10 10:00 EDT.
    const sent = new Date('2026-03-05T15:00:00Z');
    expect(iso(codeExpiry(sent))).toBe('2026-03-10T14:00:00.000Z');
    expect(iso(codeSentAt(codeExpiry(sent)))).toBe(iso(sent));
  });

  test('when a code is sent on a Monday, then reminders go on Thursday and Friday at the opening of business hours', () => {
    const sent = new Date('2026-03-02T15:00:00Z'); // Monday 10:00 EST
    expect(reminderSchedule(sent, POLICY).map(iso)).toEqual(['2026-03-05T13:30:00.000Z', '2026-03-06T13:30:00.000Z']);
  });

  test('when the 3rd and 4th days fall on a weekend, then one reminder goes on Monday, before expiry', () => {
    const sent = new Date('2026-03-12T14:00:00Z'); // Thursday 10:00 EDT → expires Tuesday 03-17 10:00
    expect(reminderSchedule(sent, POLICY).map(iso)).toEqual(['2026-03-16T12:30:00.000Z']);
  });

  test('when the 4th day is Christmas, then there is no reminder on the holiday (only on the 24th)', () => {
    const sent = new Date('2026-12-21T15:00:00Z'); // Monday 10:00 EST → expires Saturday 12-26 10:00
    expect(reminderSchedule(sent, POLICY).map(iso)).toEqual(['2026-12-24T13:30:00.000Z']);
  });

  test('when the reminder days are Good Friday and a Saturday before a Sunday expiry, then the reminder moves back to Thursday', () => {
    const sent = new Date('2026-03-31T14:00:00Z'); // Tuesday 10:00 EDT → expires Sunday 04-05 10:00
    expect(reminderSchedule(sent, POLICY).map(iso)).toEqual(['2026-04-02T12:30:00.000Z']);
  });

  test('when Thanksgiving Monday follows a Friday code, then the reminder goes on Tuesday morning, before the Wednesday expiry', () => {
    const sent = new Date('2026-10-09T14:00:00Z'); // Friday 10:00 EDT → expires Wednesday 10-14 10:00
    expect(reminderSchedule(sent, POLICY).map(iso)).toEqual(['2026-10-13T12:30:00.000Z']);
  });

  test('when no reminder day is configured, then the first deadline is the expiry', () => {
    const sent = new Date('2026-03-02T15:00:00Z');
    expect(firstDeadline(sent, { ...POLICY, days: [] })).toEqual({ kind: 'expiry', at: codeExpiry(sent) });
  });

  test('when a reminder was just sent, then the next deadline is the next day’s reminder, then the expiry', () => {
    const sent = new Date('2026-03-02T15:00:00Z');
    expect(nextDeadline(sent, new Date('2026-03-05T13:30:10Z'), POLICY)).toEqual({ kind: 'reminder', at: new Date('2026-03-06T13:30:00Z') });
    expect(nextDeadline(sent, new Date('2026-03-06T13:30:10Z'), POLICY)).toEqual({ kind: 'expiry', at: codeExpiry(sent) });
  });

  test('when business hours are checked, then weekends, holidays and evenings are outside', () => {
    expect(withinReminderHours(new Date('2026-03-05T13:30:00Z'), POLICY)).toBe(true); // Thu 08:30
    expect(withinReminderHours(new Date('2026-03-05T13:29:00Z'), POLICY)).toBe(false); // Thu 08:29
    expect(withinReminderHours(new Date('2026-03-05T21:30:00Z'), POLICY)).toBe(false); // Thu 16:30
    expect(withinReminderHours(new Date('2026-03-07T15:00:00Z'), POLICY)).toBe(false); // Saturday
    expect(withinReminderHours(new Date('2026-06-24T14:00:00Z'), POLICY)).toBe(false); // Fête nationale
    expect(iso(nextReminderWindow(new Date('2026-06-23T21:00:00Z'), POLICY))).toBe('2026-06-25T12:30:00.000Z');
  });

  test('when the sweep comes late in the evening, then the reminder is postponed to the next business morning, never past expiry', () => {
    const sent = new Date('2026-03-02T15:00:00Z');
    expect(sweepStep(new Date('2026-03-05T23:00:00Z'), sent, false, POLICY)).toEqual({ kind: 'postpone', next: new Date('2026-03-06T13:30:00Z') });
    // Friday evening, expiry Saturday 10:00: the next business morning is Monday, too late.
    expect(sweepStep(new Date('2026-03-06T23:00:00Z'), sent, false, POLICY)).toEqual({ kind: 'postpone', next: codeExpiry(sent) });
    expect(sweepStep(codeExpiry(sent), sent, false, POLICY)).toEqual({ kind: 'expire' });
    expect(sweepStep(new Date('2026-03-05T14:00:00Z'), sent, true, POLICY)).toEqual({ kind: 'clear' });
    expect(sweepStep(new Date('2026-03-05T14:00:00Z'), sent, false, POLICY)).toEqual({ kind: 'remind', next: new Date('2026-03-06T13:30:00Z') });
  });
});
