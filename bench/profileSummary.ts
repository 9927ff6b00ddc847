/**
 * Summarises a V8 CPU profile (node --cpu-prof): self time by function and by package, and inclusive time of
 * chosen functions. `npx tsx bench/profileSummary.ts FILE.cpuprofile [top]`
 */
import fs from 'node:fs';
import { where } from './profileSource';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function main(): void {
  const [file, topRaw] = process.argv.slice(2);
  if (!file) throw new Error('usage: profileSummary FILE.cpuprofile [top]');
  const top = Number(topRaw ?? 40);
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  const inclusivePackage = new Map<string, number>();
  const inclusiveAppFunction = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const n = byId.get(id)!;
    const key = `${n.callFrame.functionName || '(anonymous)'} ${where(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    byPackage.set(where(n.callFrame.url), (byPackage.get(where(n.callFrame.url)) ?? 0) + us);
    // Inclusive by the first app frame up the stack (what part of our code caused the time).
    const seen = new Set<string>();
    const seenFn = new Set<string>();
    let cur: number | undefined = id;
    while (cur !== undefined) {
      const frame = byId.get(cur)!.callFrame;
      const w = where(frame.url);
      if (w.startsWith('app:') || w === 'adaptivecards-templating' || w === 'i18next' || w === 'zod' || w === 'botframework-connector' || w === '@prisma/client') {
        const fn = `${frame.functionName || '(anonymous)'} ${w === 'app:' ? frame.url : w}${w.startsWith('app:') ? `:${frame.url.split('/').pop()}:${frame.lineNumber + 1}` : ''}`;
        if (!seenFn.has(fn)) {
          seenFn.add(fn);
          inclusiveAppFunction.set(fn, (inclusiveAppFunction.get(fn) ?? 0) + us);
        }
      }
      if (w.startsWith('app:') || w === 'botbuilder' || w === 'botbuilder-core' || w === 'botframework-connector' || w === 'restify' || w === '@prisma/client' || w === 'adaptivecards-templating' || w.startsWith('@nlpjs')) {
        if (!seen.has(w)) {
          seen.add(w);
          inclusivePackage.set(w, (inclusivePackage.get(w) ?? 0) + us);
        }
      }
      cur = parent.get(cur);
    }
  }
  const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
  const print = (title: string, m: Map<string, number>, n: number) => {
    process.stdout.write(`\n${title}\n`);
    [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).forEach(([k, us]) => process.stdout.write(`${pct(us)} ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}\n`));
  };
  process.stdout.write(`total sampled ${(total / 1000).toFixed(0)} ms\n`);
  print('self time by package', byPackage, 25);
  print('inclusive time by package (on the stack)', inclusivePackage, 25);
  print('inclusive time by function (app and chosen libraries)', inclusiveAppFunction, top);
  print('self time by function', byFunction, top);
}

main();
