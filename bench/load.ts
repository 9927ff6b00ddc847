import http from 'node:http';
import { performance } from 'node:perf_hooks';
import type { BenchConnector, TurnReplies } from './connector';
import { filedReference, newConversation, type IntakeStep } from './intake';

export interface LoadOptions {
  port: number;
  connector: BenchConnector;
  /** Conversations in flight at once. */
  concurrency: number;
  /** No turn starts after this many milliseconds. */
  durationMs: number;
  /** Stop after this many conversations were started (all of them finish), whatever the duration. */
  totalConversations?: number;
  /**
   * Pause after each turn, like a person reading the card and filling it in (uniform in 0.5–1.5× this, in ms), and
   * stagger the conversations' starts over one pause. 0 (default) = closed loop at saturation.
   */
  thinkMs?: number;
  steps: IntakeStep[];
  /** Check the intake's outcome (the help-desk bot files a request and shows its reference). */
  expectReference: boolean;
  tag: string;
}

export interface LoadResult {
  turns: number;
  intakes: number;
  errors: number;
  errorKinds: Record<string, number>;
  elapsedMs: number;
  /** Turn latencies in ms: activity sent → the turn's last reply received by the connector. */
  latencies: number[];
  /** Latencies per step name. */
  byStep: Record<string, number[]>;
  /** Replies per turn, on average. */
  repliesPerTurn: number;
  /** The requests filed (help-desk bot), with when the connector received their confirmation (performance.now()). */
  filings: { reference: string; at: number }[];
}

/** Posts a JSON body with a keep-alive agent and resolves with the status code once the response has ended. */
function post(agent: http.Agent, port: number, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: '/api/messages', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Drives one bot with `concurrency` conversations, each running the intake steps over and over (a new
 * conversation per intake) until the duration is over; turns in flight at the deadline are finished and counted.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { port, connector, concurrency, durationMs, steps } = options;
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  const byStep: Record<string, number[]> = Object.fromEntries(steps.map((s) => [s.name, []]));
  const errorKinds: Record<string, number> = {};
  const filings: LoadResult['filings'] = [];
  let turns = 0;
  let intakes = 0;
  let replies = 0;
  let lastDone = 0;
  const error = (kind: string) => {
    errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
  };
  const start = performance.now();
  const deadline = start + durationMs;

  let started = 0;
  const think = options.thinkMs ?? 0;
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
  async function worker(index: number): Promise<void> {
    if (think > 0) await pause((index * think) / concurrency);
    while (performance.now() < deadline && (options.totalConversations === undefined || started < options.totalConversations)) {
      started += 1;
      const c = newConversation(`${connector.url}`, options.tag);
      let previous: TurnReplies | undefined;
      let ok = true;
      for (const step of steps) {
        if (performance.now() >= deadline) return;
        const a = step.build(c, previous);
        const sent = performance.now();
        let status = 0;
        try {
          status = await post(agent, port, JSON.stringify(a));
        } catch {
          error('http');
          ok = false;
          break;
        }
        const got = connector.take(c.conversationId, a.id);
        lastDone = performance.now();
        if (status < 200 || status >= 300) {
          error(`status ${status}`);
          ok = false;
          break;
        }
        if (!got) {
          error('no reply');
          ok = false;
          break;
        }
        turns += 1;
        replies += got.count;
        const latency = got.lastAt - sent;
        latencies.push(latency);
        byStep[step.name]!.push(latency);
        previous = got;
        if (think > 0) await pause(think * (0.5 + Math.random()));
      }
      if (!ok) continue;
      if (options.expectReference) {
        const reference = filedReference(previous);
        if (!reference) {
          error('no reference');
          continue;
        }
        filings.push({ reference, at: previous!.lastAt });
      }
      intakes += 1;
    }
  }

  await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(i)));
  agent.destroy();
  const errors = Object.values(errorKinds).reduce((a, b) => a + b, 0);
  return { turns, intakes, errors, errorKinds, elapsedMs: (lastDone || performance.now()) - start, latencies, byStep, repliesPerTurn: turns ? replies / turns : 0, filings };
}

/** The p-th percentile (0–100) of a list of numbers, nearest-rank. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function median(values: number[]): number {
  return percentile(values, 50);
}
