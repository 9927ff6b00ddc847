/**
 * Summarises an allocation profile of the bench (`npm run bench -- --heap-profile`: V8's sampling heap profiler,
 * objects freed by the collector included): bytes allocated by package and by function (self), and by the app
 * functions on the stack (inclusive). With the turn count in the file name (the bench writes it), per turn too.
 * `npx tsx bench/heapProfileSummary.ts FILE.heapprofile [top]`
 */
import fs from 'node:fs';
import { where } from './profileSource';

interface HeapNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: HeapNode[];
}

function main(): void {
  const [file, topRaw] = process.argv.slice(2);
  if (!file) throw new Error('usage: heapProfileSummary FILE.heapprofile [top]');
  const top = Number(topRaw ?? 40);
  const turns = Number(/-(\d+)turns-/.exec(file)?.[1] ?? NaN);
  const { head } = JSON.parse(fs.readFileSync(file, 'utf8')) as { head: HeapNode };
  const bySelf = new Map<string, number>();
  const byPackage = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const inclusivePackage = new Map<string, number>();
  let total = 0;
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  const walk = (node: HeapNode, stack: { fn: string; pkg: string }[]) => {
    const pkg = where(node.callFrame.url);
    const fn = `${node.callFrame.functionName || '(anonymous)'} ${pkg}${pkg.startsWith('app:') ? `:${node.callFrame.url.split('/').pop()}` : ''}:${node.callFrame.lineNumber + 1}`;
    const here = [...stack, { fn, pkg }];
    if (node.selfSize > 0) {
      total += node.selfSize;
      add(bySelf, fn, node.selfSize);
      add(byPackage, pkg, node.selfSize);
      for (const k of new Set(here.filter((f) => f.pkg.startsWith('app:')).map((f) => f.fn))) add(inclusive, k, node.selfSize);
      for (const k of new Set(here.map((f) => f.pkg))) add(inclusivePackage, k, node.selfSize);
    }
    for (const c of node.children) walk(c, here);
  };
  walk(head, []);
  const perTurn = (b: number) => (Number.isFinite(turns) ? `${(b / turns / 1024).toFixed(1).padStart(7)} KiB/turn` : '');
  const print = (title: string, m: Map<string, number>, n: number) => {
    process.stdout.write(`\n${title}\n`);
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .forEach(([k, b]) => process.stdout.write(`${((100 * b) / total).toFixed(1).padStart(5)}% ${(b / 1048576).toFixed(1).padStart(8)} MiB ${perTurn(b)}  ${k}\n`));
  };
  process.stdout.write(`total allocated ${(total / 1048576).toFixed(0)} MiB${Number.isFinite(turns) ? ` over ${turns} turns: ${perTurn(total)}` : ''}\n`);
  print('self by package', byPackage, 30);
  print('inclusive by package (on the stack)', inclusivePackage, 30);
  print('inclusive by app function (on the stack)', inclusive, top);
  print('self by function', bySelf, top);
}

main();
