import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { AccessLogRepository } from '../../data/accessLogRepository';
import { AUDIT_ACTIONS, AuditLog } from '../../domain/privacy/auditLog';
import { createTestDatabase, providersUnderTest } from '../helpers/database';

const ROOT = path.resolve(__dirname, '..', '..');

for (const provider of providersUnderTest()) {
  describe(`Access log (${provider})`, () => {
    let db: Awaited<ReturnType<typeof createTestDatabase>>;
    const at = new Date('2026-03-02T14:30:00Z');
    let audit: AuditLog;
    let repo: AccessLogRepository;

    beforeAll(async () => {
      db = await createTestDatabase(provider);
      repo = new AccessLogRepository(db.prisma);
      audit = new AuditLog(repo, () => at);
    });
    afterAll(async () => db.dispose());

    test('when an action is recorded, then one row holds the actor’s Teams and Entra ids, the request, the action and the time', async () => {
      await audit.record({ userId: '29:reader', aadObjectId: 'aad-reader' }, 42, AUDIT_ACTIONS.requestCancelled);
      expect(await repo.forRequest(42)).toEqual([
        { id: expect.any(Number), actorId: '29:reader', actorAadObjectId: 'aad-reader', requestId: 42, action: 'request.cancelled', at },
      ]);
    });

    test('when a list shows several requests, then one row per request is written; an action on no request has a null request', async () => {
      await audit.recordMany({ userId: '29:lister' }, [7, 8, 9], AUDIT_ACTIONS.requestsListed);
      await audit.record({ userId: '29:lister' }, null, 'queue.viewed');
      const rows = await repo.byActor('29:lister');
      expect(rows.map((r) => [r.requestId, r.action, r.actorAadObjectId])).toEqual([
        [7, 'requests.listed', null],
        [8, 'requests.listed', null],
        [9, 'requests.listed', null],
        [null, 'queue.viewed', null],
      ]);
    });

    test('when the actor has no id or the action is not an area.verb name, then nothing is written', async () => {
      await expect(audit.record({ userId: '' }, 1, 'request.filed')).rejects.toThrow(/actor/);
      await expect(audit.record({ userId: '29:x' }, 1, 'Rosalie Gagnon a consulté' as never)).rejects.toThrow(/area\.verb/);
      expect(await repo.byActor('29:x')).toEqual([]);
    });
  });
}

describe('Access log is append-only in the code', () => {
  test('when the repository is inspected, then it offers appending and reading only', () => {
    const methods = Object.getOwnPropertyNames(AccessLogRepository.prototype).filter((m) => m !== 'constructor').sort();
    expect(methods).toEqual(['append', 'byActor', 'forRequest']);
  });

  test('when every source file is scanned, then none updates or deletes access-log rows', () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (/\.(ts|js|sql)$/.test(entry.name)) {
          const text = fs.readFileSync(full, 'utf8');
          if (/accessLogEntry\s*\.\s*(update|updateMany|upsert|delete|deleteMany)\b/.test(text) || /(UPDATE|DELETE\s+FROM|TRUNCATE)\s+"?access_log\b/i.test(text)) {
            offenders.push(path.relative(ROOT, full));
          }
        }
      }
    };
    for (const dir of ['bot', 'dialogs', 'domain', 'data', 'cards', 'scripts', path.join('prisma', 'migrations')]) walk(path.join(ROOT, dir));
    expect(offenders).toEqual([]);
  });
});

const pgUrl = process.env.TEST_POSTGRES_URL;
(pgUrl ? describe : describe.skip)('Access log grants from the README (postgresql)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let client: Client;
  const suffix = randomBytes(4).toString('hex');
  const appRole = `helpdesk_app_${suffix}`;
  const adminRole = `helpdesk_admin_${suffix}`;

  beforeAll(async () => {
    db = await createTestDatabase('postgresql');
    client = new Client({ connectionString: db.url });
    await client.connect();
    await client.query(`CREATE ROLE ${appRole} NOLOGIN`);
    await client.query(`CREATE ROLE ${adminRole} NOLOGIN`);
    // As after a start-up: the application's role ran the migrations, so it owns the table.
    await client.query(`ALTER TABLE access_log OWNER TO ${appRole}`);
  });
  afterAll(async () => {
    await client?.end();
    await db?.dispose();
    const admin = new Client({ connectionString: pgUrl });
    await admin.connect();
    await admin.query(`DROP ROLE IF EXISTS ${appRole}`);
    await admin.query(`DROP ROLE IF EXISTS ${adminRole}`);
    await admin.end();
  });

  test('when the README’s SQL is run, then the application role can insert and read access-log rows but not update, delete or truncate them', async () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const block = [...readme.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]).find((b) => b.includes('access_log'));
    expect(block).toBeDefined();
    await client.query(block!.replaceAll('helpdesk_app', appRole).replaceAll('helpdesk_admin', adminRole));

    await client.query(`SET ROLE ${appRole}`);
    try {
      await client.query(`INSERT INTO access_log (actor_id, request_id, action, at) VALUES ('29:someone', 1, 'request.filed', now())`);
      const read = await client.query('SELECT count(*)::int AS n FROM access_log');
      expect(read.rows[0].n).toBeGreaterThanOrEqual(1);
      for (const statement of [`UPDATE access_log SET action = 'forged'`, 'DELETE FROM access_log', 'TRUNCATE access_log', 'ALTER TABLE access_log DISABLE TRIGGER ALL']) {
        await expect(client.query(statement)).rejects.toThrow(/permission denied|must be owner/);
      }
    } finally {
      await client.query('RESET ROLE');
    }
  });
});
