import { translator } from '../domain/i18n';
import { triageCard } from '../cards/intakeTriage';
import { intakeFormCard } from '../cards/intakeForm';
import { summaryCard } from '../cards/intakeSummary';
import { filedCard } from '../cards/intakeFiled';
import { welcomeCard } from '../cards/welcome';
const t = translator('fr');
function bench(name: string, fn: () => unknown, N = 20000) {
  for (let i = 0; i < 2000; i++) fn();
  const c = process.cpuUsage();
  for (let i = 0; i < N; i++) fn();
  const u = process.cpuUsage(c); console.log(name.padEnd(30), ((u.user + u.system) / N).toFixed(1), 'µs');
}
bench('t simple', () => t('intake:fields.lastName'));
bench('t with count', () => t('intake:triage.notice', { count: 365 }));
bench('welcomeCard', () => welcomeCard(t, 'id'), 3000);
bench('triageCard', () => triageCard(t, 'id', 365), 3000);
const values = { lastName: 'Tremblay', firstName: 'Marie', email: 'm@x.org' };
bench('intakeFormCard', () => intakeFormCard(t, { cardId: 'id', kind: 'access_with_code', role: 'physician', values }), 3000);
bench('summaryCard', () => summaryCard(t, { cardId: 'id', kind: 'access_with_code', role: 'physician', values: { ...values, practiceLocation: 'CHU', ramqUserCode: 'abc123' } }), 3000);
bench('filedCard', () => filedCard(t, { cardId: 'id', kind: 'access_with_code', role: 'physician', reference: 'DMA-2026-00001' }), 3000);
bench('JSON roundtrip triage', () => JSON.parse(JSON.stringify(triageCard(t, 'id', 365))), 3000);
