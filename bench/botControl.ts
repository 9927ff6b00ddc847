import fs from 'node:fs';
import path from 'node:path';
import { Session } from 'node:inspector';
import { PerformanceObserver, constants } from 'node:perf_hooks';

/** Garbage collections since the bot started, by kind: count and milliseconds of pause (main thread). */
const gc = { minor: 0, minorMs: 0, major: 0, majorMs: 0, other: 0, otherMs: 0 };

/**
 * IPC commands every bench bot answers, besides `stop`: `memory` answers `process.memoryUsage()` (heap, external,
 * RSS as Node sees them) and the garbage collections so far (count and pause by kind); `profile-start` and `profile-stop` run V8's CPU profiler
 * (the one behind `node --cpu-prof`) over the measured phases only, so start-up and warm-up do not blur the profile;
 * `heap-sampling-start` and `heap-sampling-stop` do the same with V8's sampling heap profiler (every allocation,
 * freed or not: `npx tsx bench/heapProfileSummary.ts FILE`).
 */
export function answerBenchCommands(): void {
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) {
        gc.minor++;
        gc.minorMs += entry.duration;
      } else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
        gc.major++;
        gc.majorMs += entry.duration;
      } else {
        gc.other++;
        gc.otherMs += entry.duration;
      }
    }
  }).observe({ entryTypes: ['gc'] });
  let session: Session | undefined;
  const post = <T>(method: string, params?: object) =>
    new Promise<T>((resolve, reject) => session!.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res as T))));
  /** Stops a profiler of the session, writes its profile to `file`, closes the session and tells the parent. */
  const stopAndWrite = (method: string, file: string, done: string) =>
    void post<{ profile: unknown }>(method).then(({ profile }) => {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, JSON.stringify(profile));
      session!.disconnect();
      session = undefined;
      process.send?.({ type: done, file });
    });
  process.on('message', (m: { type?: string; file?: string }) => {
    if (m?.type === 'memory') {
      process.send?.({ type: 'memory', usage: process.memoryUsage(), gc: { ...gc } });
    } else if (m?.type === 'profile-start') {
      session = new Session();
      session.connect();
      void post('Profiler.enable')
        .then(() => post('Profiler.setSamplingInterval', { interval: 500 }))
        .then(() => post('Profiler.start'))
        .then(() => process.send?.({ type: 'profile-started' }));
    } else if (m?.type === 'heap-sampling-start') {
      // Every allocation, including objects the next scavenge frees (a default sampling profile keeps only the
      // survivors): what the garbage collector has to deal with, by allocating function.
      session = new Session();
      session.connect();
      void post('HeapProfiler.startSampling', { samplingInterval: 16384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true })
        .then(() => process.send?.({ type: 'heap-sampling-started' }));
    } else if (m?.type === 'heap-sampling-stop' && session && m.file) {
      stopAndWrite('HeapProfiler.stopSampling', m.file, 'heap-sampling-stopped');
    } else if (m?.type === 'profile-stop' && session && m.file) {
      stopAndWrite('Profiler.stop', m.file, 'profile-stopped');
    }
  });
}
