import fs from 'node:fs';
import path from 'node:path';
import { Session } from 'node:inspector';

/**
 * IPC commands every bench bot answers, besides `stop`: `memory` answers `process.memoryUsage()` (heap, external,
 * RSS as Node sees them); `profile-start` and `profile-stop` run V8's CPU profiler
 * (the one behind `node --cpu-prof`) over the measured phases only, so start-up and warm-up do not blur the profile.
 */
export function answerBenchCommands(): void {
  let session: Session | undefined;
  const post = <T>(method: string, params?: object) =>
    new Promise<T>((resolve, reject) => session!.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res as T))));
  process.on('message', (m: { type?: string; file?: string }) => {
    if (m?.type === 'memory') {
      process.send?.({ type: 'memory', usage: process.memoryUsage() });
    } else if (m?.type === 'profile-start') {
      session = new Session();
      session.connect();
      void post('Profiler.enable')
        .then(() => post('Profiler.setSamplingInterval', { interval: 500 }))
        .then(() => post('Profiler.start'))
        .then(() => process.send?.({ type: 'profile-started' }));
    } else if (m?.type === 'profile-stop' && session && m.file) {
      const file = m.file;
      void post<{ profile: unknown }>('Profiler.stop').then(({ profile }) => {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, JSON.stringify(profile));
        session!.disconnect();
        session = undefined;
        process.send?.({ type: 'profile-stopped', file });
      });
    }
  });
}
