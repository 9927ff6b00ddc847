import { openDatabase } from '../data/db';
import { migrate } from '../data/migrate';
import { RequestRepository } from '../data/requestRepository';
import { RequestService } from '../domain/requests/requestService';
async function main() {
  const db = await openDatabase(process.argv[2] ?? `file:/tmp/scratch/file-${Date.now()}.db`);
  await migrate(db);
  const svc = new RequestService(new RequestRepository(db.prisma));
  let n = 0;
  const file = () => svc.fileRequest({ kind: 'access_with_code', role: 'physician', values: { lastName: 'T', firstName: 'M', email: 'm@x.org', practiceLocation: 'CHU', ramqUserCode: 'abc123' } as never, requester: { userId: `u${n}` }, conversationId: 'c', locale: 'fr-CA', idempotencyKey: `k-${process.pid}-${n++}` });
  for (let i = 0; i < 300; i++) await file();
  const c = process.cpuUsage(); const t = Date.now(); const N = 1000;
  for (let i = 0; i < N; i++) await file();
  const u = process.cpuUsage(c); console.log(db.provider, 'fileRequest', ((u.user + u.system) / N).toFixed(0), 'µs cpu', ((Date.now() - t) / N * 1000).toFixed(0), 'µs wall');
  await db.close();
}
main();
