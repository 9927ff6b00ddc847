import fs from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (100 on Linux x86-64). */
const CLK_TCK = 100;

/** Memory of a process from /proc/<pid>/status, in MiB: current resident set and its peak (high-water mark). */
export function memoryOf(pid: number): { rssMiB: number; peakRssMiB: number } | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMiB: kb('VmRSS') / 1024, peakRssMiB: kb('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) a process has used so far, in milliseconds, from /proc/<pid>/stat. */
export function cpuMsOf(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return ((utime + stime) * 1000) / CLK_TCK;
  } catch {
    return NaN;
  }
}

/**
 * CPU time (user + system) used so far by every process of a command name (/proc/<pid>/comm), in milliseconds:
 * e.g. `postgres`, whose server, background workers and one backend per connection are all processes of that name.
 * @remarks A process that exits between two readings takes its time with it: read around a phase in which the
 * processes that matter live throughout (the bot's pool keeps its connections open).
 */
export function cpuMsOfCommand(comm: string): number {
  let total = 0;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== comm) continue;
    } catch {
      continue;
    }
    const ms = cpuMsOf(Number(entry));
    if (Number.isFinite(ms)) total += ms;
  }
  return total;
}

/**
 * Scheduler times of a process's main thread so far (/proc/<pid>/schedstat), in milliseconds: on a core, and
 * runnable but waiting for one (another process had it). Undefined where the kernel does not report them.
 */
export function schedStatOf(pid: number): { runMs: number; waitMs: number } | undefined {
  try {
    const [run, wait] = fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
    return Number.isFinite(run) && Number.isFinite(wait) ? { runMs: run! / 1e6, waitMs: wait! / 1e6 } : undefined;
  } catch {
    return undefined;
  }
}
