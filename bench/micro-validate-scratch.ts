import { validateIntake } from '../domain/intake/fields';
const raw = { lastName: 'Tremblay', firstName: 'Marie-Ève', email: 'marie-eve.tremblay@example.org', practiceLocation: 'CHU de Québec', ramqUserCode: 'mtrem001' };
for (let i = 0; i < 2000; i++) validateIntake('access_with_code', 'physician', raw, { requesterEmail: 'x@y.org' });
const c = process.cpuUsage(); const N = 20000;
for (let i = 0; i < N; i++) validateIntake('access_with_code', 'physician', raw, { requesterEmail: 'x@y.org' });
const u = process.cpuUsage(c); console.log('validateIntake', ((u.user + u.system) / N).toFixed(1), 'µs');
