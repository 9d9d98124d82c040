// Finding, for a measurement of ours, the baseline it is compared with, and the
// points of the exec sweep.
import type { BenchResults, Measurement } from '../results.js';

/** The real client's measurement of the same operation, server and round trip. */
export function pairOf(
  results: BenchResults,
  mine: Measurement,
): Measurement | undefined {
  const client = mine.server === 'lxd' ? 'lxc' : 'incus';
  // Our CLI as a process is compared with the client's exec, also a process; a
  // command in a session with the client's same command.
  const scenario =
    mine.scenario === 'cli-exec'
      ? 'exec-true'
      : mine.scenario.replace('session-', 'exec-');
  return results.measurements.find(
    (each) =>
      each.tool === client &&
      each.server === mine.server &&
      each.scenario === scenario &&
      each.rttMs === mine.rttMs &&
      each.files === mine.files &&
      each.bytes === mine.bytes,
  );
}

/** Our measurement of a scenario at a round trip, on a server, of a given load. */
export function oursAt(
  results: BenchResults,
  server: 'lxd' | 'incus',
  scenario: Measurement['scenario'],
  rttMs: number,
  load: { readonly files?: number; readonly bytes?: number } = {},
): Measurement | undefined {
  return results.measurements.find(
    (each) =>
      each.tool.startsWith('lxd-api') &&
      each.server === server &&
      each.scenario === scenario &&
      each.rttMs === rttMs &&
      (load.files === undefined || each.files === load.files) &&
      (load.bytes === undefined || each.bytes === load.bytes),
  );
}

/** Our command of an exec scenario in both modes, at one round-trip time. */
export interface ModePair {
  readonly scenario: 'exec-true' | 'exec-1mb' | 'exec-input';
  readonly rttMs: number;
  readonly record: Measurement | undefined;
  readonly session: Measurement | undefined;
}

/** Our exec scenarios with record-output beside the same in a session. */
export function modePairs(results: BenchResults, server: 'lxd' | 'incus'): ModePair[] {
  const pairs: ModePair[] = [];
  for (const scenario of ['exec-true', 'exec-1mb', 'exec-input'] as const) {
    const session = scenario.replace('exec-', 'session-') as Measurement['scenario'];
    const rtts = results.measurements
      .filter((each) => each.server === server && each.scenario === session)
      .map((each) => each.rttMs);
    for (const rttMs of [...new Set(rtts)].sort((a, b) => a - b)) {
      pairs.push({
        scenario,
        rttMs,
        record: oursAt(results, server, scenario, rttMs),
        session: oursAt(results, server, session, rttMs),
      });
    }
  }
  return pairs;
}

/** One round-trip time of the exec sweep: medians of ours and the client's. */
export interface SweepPoint {
  readonly rttMs: number;
  readonly lxd: SweepMedians;
  readonly incus: SweepMedians;
}

/** Medians of one server at one sweep point; undefined where not measured. */
export interface SweepMedians {
  readonly ours: number | undefined;
  readonly client: number | undefined;
}

/** The medians of exec `true` at each round-trip time measured, by server and tool. */
export function sweepOf(results: BenchResults): SweepPoint[] {
  const execs = results.measurements.filter((each) => each.scenario === 'exec-true');
  const rtts = [...new Set(execs.map((each) => each.rttMs))].sort((a, b) => a - b);
  const median = (server: 'lxd' | 'incus', ours: boolean, rttMs: number) =>
    execs.find(
      (each) =>
        each.server === server &&
        each.rttMs === rttMs &&
        each.tool.startsWith('lxd-api') === ours,
    )?.medianMs;
  return rtts.map((rttMs) => ({
    rttMs,
    lxd: { ours: median('lxd', true, rttMs), client: median('lxd', false, rttMs) },
    incus: { ours: median('incus', true, rttMs), client: median('incus', false, rttMs) },
  }));
}

/** Two round trips plus the server's own time, which is our exec at 0 ms. */
export function lowerBound(
  sweep: readonly SweepPoint[],
  server: 'lxd' | 'incus',
  rttMs: number,
): number | undefined {
  const atZero = sweep.find((point) => point.rttMs === 0)?.[server].ours;
  return atZero === undefined ? undefined : atZero + 2 * rttMs;
}
