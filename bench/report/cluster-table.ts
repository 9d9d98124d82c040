// The cluster scenario as a Markdown table: each operation on the second member's
// instance, straight at its member against forwarded by the first member.
import { scenarios, type Measurement } from '../results.js';
import { markdownTable } from './table.js';

/** One row per server, operation and round-trip time: direct, forwarded, saved. */
export function clusterTable(measurements: readonly Measurement[]): string {
  const header = [
    'server',
    'operation',
    'RTT',
    'direct ms',
    'forwarded ms',
    'saved ms',
    'round trips (direct · forwarded)',
  ];
  const rows: string[][] = [];
  const direct = measurements.filter((each) => each.note === 'direct');
  for (const mine of direct) {
    const other = measurements.find(
      (each) =>
        each.note === 'forwarded' &&
        each.server === mine.server &&
        each.scenario === mine.scenario &&
        each.rttMs === mine.rttMs,
    );
    rows.push([
      mine.server === 'lxd' ? 'LXD 5.0' : 'Incus 6.0',
      scenarios[mine.scenario],
      String(mine.rttMs),
      mine.medianMs.toFixed(1),
      other === undefined ? '—' : other.medianMs.toFixed(1),
      other === undefined ? '—' : (other.medianMs - mine.medianMs).toFixed(1),
      `${mine.counts.roundTrips} · ${other?.counts.roundTrips ?? '—'}`,
    ]);
  }
  return markdownTable(header, rows);
}
