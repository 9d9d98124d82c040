// Runs an operation a number of times and keeps what each run cost: its time, the
// proxy's counts of connections and client turns, and our transport's counters.
import type { TurnCountingProxy } from '../test/helpers/turn-counting-proxy.js';
import type { TransportStats } from '../src/transport/transport.js';
import { CpuMeter, memoryPeak } from './meters.js';
import type { Counts, Measurement, ScenarioId, Tool } from './results.js';

/** One operation to measure, and how to read its counters. */
export interface Operation {
  /** Runs the operation once. */
  readonly run: () => Promise<void>;
  /**
   * The counters of the transport the operation uses, read before and after each
   * run; undefined before a run that makes its own transport.
   */
  readonly stats?: () => TransportStats | undefined;
  /** Untimed preparation before each run. */
  readonly before?: () => Promise<unknown>;
  /** Untimed clean-up after each run, such as closing a cold connection. */
  readonly after?: () => Promise<unknown>;
  /** Sample the process's resident memory while the operation runs. */
  readonly memory?: boolean;
}

/** What a measurement is of. */
export interface Subject {
  readonly scenario: ScenarioId;
  readonly tool: Tool;
  readonly server: 'lxd' | 'incus';
  readonly rttMs: number;
  readonly bytes?: number;
  readonly files?: number;
}

/**
 * Runs `operation` `warmUp` times unmeasured, then `runs` times measured, one after
 * another.
 */
export async function measure(
  subject: Subject,
  proxy: TurnCountingProxy,
  operation: Operation,
  runs: number,
  warmUp = 1,
): Promise<Measurement> {
  const series = new Series(subject, proxy, operation);
  await series.warmUp(warmUp);
  for (let i = 0; i < runs; i += 1) await series.runOnce();
  return series.result();
}

/**
 * The runs of one operation, which may be interleaved with other series': the
 * proxy's counts are reset before each run and read right after it (before
 * anything closes: a closing TLS socket's last bytes are a turn too).
 */
export class Series {
  readonly #subject: Subject;
  readonly #proxy: TurnCountingProxy;
  readonly #operation: Operation;
  readonly #samples: number[] = [];
  readonly #counts: Counts[] = [];
  readonly #cpu = new CpuMeter();
  #peak = 0;

  constructor(subject: Subject, proxy: TurnCountingProxy, operation: Operation) {
    this.#subject = subject;
    this.#proxy = proxy;
    this.#operation = operation;
  }

  async warmUp(times = 1): Promise<void> {
    const operation = this.#operation;
    for (let i = 0; i < times; i += 1) {
      await operation.before?.();
      await operation.run();
      await operation.after?.();
    }
  }

  async runOnce(): Promise<void> {
    const operation = this.#operation;
    await operation.before?.();
    const before = { ...zeroStats, ...operation.stats?.() };
    const memory = operation.memory === true ? memoryPeak() : undefined;
    this.#proxy.reset();
    this.#cpu.start();
    const started = performance.now();
    await operation.run();
    this.#samples.push(performance.now() - started);
    this.#cpu.stop();
    const { connections, clientTurns: turns } = this.#proxy.counts;
    this.#peak = Math.max(this.#peak, memory?.stop() ?? 0);
    const after = operation.stats?.();
    this.#counts.push({
      connections,
      turns,
      roundTrips: connections + turns,
      ...(after && {
        requests: after.requests - before.requests,
        handshakes: after.handshakes - before.handshakes,
      }),
    });
    await operation.after?.();
  }

  result(): Measurement {
    return {
      ...this.#subject,
      ...summarize(this.#samples),
      samples: this.#samples.map(round),
      counts: meanCounts(this.#counts),
      cpu: this.#cpu.shares(),
      ...(this.#operation.memory === true && {
        peakMemoryMiB: round(this.#peak / 2 ** 20),
      }),
    };
  }
}

/** Median, least and most of a series, rounded to a tenth of a millisecond. */
export function summarize(samples: readonly number[]) {
  return {
    medianMs: round(median(samples)),
    minMs: round(Math.min(...samples)),
    maxMs: round(Math.max(...samples)),
  };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? Number.NaN)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

export function round(value: number): number {
  return Math.round(value * 10) / 10;
}

const zeroStats: TransportStats = {
  connects: 0,
  handshakes: 0,
  requests: 0,
  retries: 0,
};

// Counts rarely differ between runs; when they do, the mean says how often.
function meanCounts(counts: readonly Counts[]): Counts {
  const mean = (pick: (each: Counts) => number | undefined) => {
    const values = counts.map(pick).filter((value) => value !== undefined);
    return values.length === 0
      ? undefined
      : round(values.reduce((sum, value) => sum + value, 0) / values.length);
  };
  const requests = mean((each) => each.requests);
  const handshakes = mean((each) => each.handshakes);
  return {
    connections: mean((each) => each.connections) ?? 0,
    turns: mean((each) => each.turns) ?? 0,
    roundTrips: mean((each) => each.roundTrips) ?? 0,
    ...(requests !== undefined && { requests }),
    ...(handshakes !== undefined && { handshakes }),
  };
}
