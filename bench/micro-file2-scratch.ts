import { openDatabase } from '../data/db';
import { migrate } from '../data/migrate';
async function time(name: string, fn: (i: number) => Promise<unknown>, N = 800) {
  for (let i = 0; i < 200; i++) await fn(i + 100000);
  const c = process.cpuUsage();
  for (let i = 0; i < N; i++) await fn(i);
  const u = process.cpuUsage(c); console.log(name.padEnd(34), ((u.user + u.system) / N).toFixed(0), 'µs cpu');
}
async function main() {
  const db = await openDatabase(`file:/tmp/scratch/file2-${Date.now()}.db`);
  await migrate(db);
  const p = db.prisma;
  const now = new Date();
  const data = (i: number) => ({ kind: 'access_with_code', requesterRole: 'physician', requesterUserId: `u${i}`, requesterConversationId: 'c', locale: 'fr-CA', lastName: 'T', firstName: 'M', email: 'm@x.org', idempotencyKey: `k${i}-${Math.random()}`, reference: `R-${i}-${Math.random()}`, status: 'submitted', createdAt: now, updatedAt: now });
  await time('findUnique by idempotency key', (i) => p.accessRequest.findUnique({ where: { idempotencyKey: `nope${i}` } }));
  await time('empty interactive $transaction', () => p.$transaction(async () => undefined));
  await time('counter upsert', () => p.referenceCounter.upsert({ where: { year: 2026 }, create: { year: 2026, last: 1 }, update: { last: { increment: 1 } } }));
  await time('accessRequest.create', (i) => p.accessRequest.create({ data: data(i) }));
  await time('requestEvent.create', (i) => p.requestEvent.create({ data: { requestId: 1, action: 'filed', actorId: 'u', at: now } }));
  await time('$executeRaw event insert', () => p.$executeRawUnsafe('INSERT INTO request_events (request_id, action, actor_id, at) VALUES (?, ?, ?, ?)', 1, 'filed', 'u', now.toISOString()));
  await db.close();
}
main();
