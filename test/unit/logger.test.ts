import { TestAdapter } from 'botbuilder';
import { createLogger } from '../../bot/logger';
import { TurnLogMiddleware } from '../../bot/middleware/turnLog';
import { logSink } from '../helpers/privacy';

function logOnce(write: (logger: ReturnType<typeof createLogger>) => void): any {
  const sink = logSink();
  const logger = createLogger('trace', sink.stream);
  write(logger);
  logger.flush?.();
  return JSON.parse(sink.lines[sink.lines.length - 1]);
}

/** An error shaped like botbuilder's RestError: the remote service's message, a status and a code. */
function restError(message: string): Error {
  return Object.assign(new Error(message), { name: 'RestError', statusCode: 403, code: 'BotNotInConversationRoster' });
}

describe('Logger redaction', () => {
  test('when personal fields are logged by key, even nested two levels deep, then they are censored', () => {
    const line = logOnce((l) => l.info({ email: 'a.b@example.org', request: { lastName: 'Roy', values: { employeeNumber: '123456' } } }, 'x'));
    expect(line.email).toBe('[redacted]');
    expect(line.request.lastName).toBe('[redacted]');
    expect(line.request.values.employeeNumber).toBe('[redacted]');
  });

  test('when a log message or an error message carries an email or a code, then they are masked', () => {
    const line = logOnce((l) => l.error({ err: new Error('no member for julie.roy@example.org with code ihv2T7sD') }, 'lookup for julie.roy@example.org failed'));
    expect(line.msg).toBe('lookup for [email] failed');
    expect(line.err.message).toBe('no member for [email] with code [code]');
    expect(JSON.stringify(line)).not.toMatch(/julie|ihv2T7sD/);
  });

  test('when an error quotes the data it choked on (as Prisma does), then the quoted values are masked and the explanation stays', () => {
    const prismaLike = new Error(
      'Invalid `prisma.accessRequest.create()` invocation:\n{\n  data: {\n    lastName: "Gagnon",\n    firstName: "Rosalie Marie",\n    jobTitle: "Infirmière \\"clinicienne\\""\n  }\n}\nArgument `email` is missing.',
    );
    prismaLike.name = 'PrismaClientValidationError';
    const line = logOnce((l) => l.error({ err: prismaLike }, 'filing failed'));
    expect(line.err.type).toBe('PrismaClientValidationError');
    expect(line.err.message).toContain('Argument `email` is missing.');
    expect(line.err.message).toContain('lastName: "…"');
    expect(JSON.stringify(line)).not.toMatch(/Gagnon|Rosalie|clinicienne/);
  });

  test('when a remote service’s error (or an error wrapping it) is logged, then its status and code stay, its message does not, and the stack keeps its frames', () => {
    const remote = restError('Member Josiane Pelletier is not in the roster');
    const wrapper = Object.assign(new Error(remote.message), { name: 'DialogContextError', error: remote });
    const line = logOnce((l) => l.error({ err: wrapper }, 'turn failed'));
    expect(line.err.type).toBe('DialogContextError');
    expect(line.err.message).toBe('HTTP 403 BotNotInConversationRoster (remote message not logged)');
    expect(line.err.cause).toMatchObject({ type: 'RestError', statusCode: 403, code: 'BotNotInConversationRoster' });
    expect(line.err.cause.stack).toMatch(/\n\s+at /);
    expect(JSON.stringify(line)).not.toMatch(/Josiane|Pelletier/);
  });
});

describe('Turn log', () => {
  test('when a turn carries text, card values and odd ids, then the debug line says what kind of turn it was and nothing of its content', async () => {
    const sink = logSink();
    const adapter = new TestAdapter(async () => undefined).use(new TurnLogMiddleware(createLogger('trace', sink.stream)));
    await adapter.send({ type: 'message', id: 'rosalie.gagnon@example.org', text: 'Rosalie Gagnon, 55123409', locale: 'fr-CA' });
    await adapter.send({ type: 'message', id: '1:1AbCd-ef', value: { verb: 'intake.submit', lastName: 'Gagnon', email: 'rosalie.gagnon@example.org' } });
    await adapter.send({ type: 'message', id: 'act-3', value: { verb: 'rosalie.gagnon@example.org' } });
    const lines = sink.lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'turn');
    expect(lines.map((l) => [l.activityType, l.verb, l.hasText, l.activityId])).toEqual([
      ['message', undefined, true, undefined],
      ['message', 'intake.submit', false, '1:1AbCd-ef'],
      ['message', 'other', false, 'act-3'],
    ]);
    expect(sink.text()).not.toMatch(/Rosalie|Gagnon|55123409|example\.org/i);
  });
});
