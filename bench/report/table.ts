// The results as Markdown tables: readable on a terminal as they are, and ready
// for the README.
import { lowerBound, modePairs, pairOf, sweepOf, type ModePair } from './pairs.js';
import { scenarios, type BenchResults, type Measurement } from '../results.js';

/** One table per server of every operation, then the exec sweep. */
export function resultTables(results: BenchResults): string {
  const servers = [...new Set(results.measurements.map((each) => each.server))];
  const parts: string[] = [];
  for (const server of servers) {
    const client = server === 'lxd' ? 'lxc' : 'incus';
    const title = server === 'lxd' ? 'LXD 5.0' : 'Incus 6.0';
    parts.push(`${title}, against \`${client}\`:\n\n${operationTable(results, server)}`);
  }
  for (const server of servers) {
    const title = server === 'lxd' ? 'LXD 5.0' : 'Incus 6.0';
    parts.push(
      `${title}, record-output against session mode (ms):\n\n` +
        modeTable(results, server),
    );
  }
  parts.push(`\`exec true\` by round-trip time (ms):\n\n${sweepTable(results)}`);
  return parts.join('\n\n');
}

function operationTable(results: BenchResults, server: 'lxd' | 'incus'): string {
  const client = server === 'lxd' ? 'lxc' : 'incus';
  const header = [
    'operation',
    'RTT',
    'lxd-api ms',
    'round trips',
    'req · TCP · TLS',
    `${client} ms`,
    'round trips',
    'TCP',
    `${client} ÷ ours`,
  ];
  const rows: string[][] = [];
  const ours = results.measurements.filter(
    (each) => each.server === server && each.tool.startsWith('lxd-api'),
  );
  const order = Object.keys(scenarios);
  const sorted = [...ours].sort(
    (a, b) =>
      order.indexOf(a.scenario) - order.indexOf(b.scenario) ||
      a.rttMs - b.rttMs ||
      (b.files ?? b.bytes ?? 0) - (a.files ?? a.bytes ?? 0),
  );
  const rtts = new Set(results.measurements.map((each) => each.rttMs));
  for (const mine of sorted) {
    // The exec sweep's extra points have a table of their own.
    const sweepOnly =
      (mine.scenario === 'exec-true' || mine.scenario === 'session-true') &&
      ![0, 26].includes(mine.rttMs);
    if (sweepOnly && rtts.size > 2) continue;
    const theirs = pairOf(results, mine);
    rows.push([
      label(mine),
      String(mine.rttMs),
      timing(mine),
      String(mine.counts.roundTrips),
      ourCounts(mine),
      theirs ? timing(theirs) : '—',
      theirs ? String(theirs.counts.roundTrips) : '—',
      theirs ? String(theirs.counts.connections) : '—',
      theirs ? `${(theirs.medianMs / mine.medianMs).toFixed(1)}×` : '—',
    ]);
  }
  return markdownTable(header, rows);
}

// Each command in both modes, and what a session costs to open, by round trip.
function modeTable(results: BenchResults, server: 'lxd' | 'incus'): string {
  const header = [
    'command',
    'RTT',
    'record-output',
    'round trips',
    'session',
    'round trips by time',
    'record ÷ session',
  ];
  const pairs = modePairs(results, server);
  // The proxy counts turns per connection, and a session writes on its stdin
  // socket and hears on two others: its round trips are read off the clock.
  const byTime = (pair: ModePair) => {
    const zero = pairs.find(
      (each) => each.scenario === pair.scenario && each.rttMs === 0,
    );
    const rtt = results.meta.proxyRttMs[String(pair.rttMs)] ?? pair.rttMs;
    if (pair.rttMs === 0 || zero?.session === undefined || pair.session === undefined) {
      return '—';
    }
    return ((pair.session.medianMs - zero.session.medianMs) / rtt).toFixed(2);
  };
  const rows = pairs
    .filter((pair) => [0, 26].includes(pair.rttMs))
    .map((pair) => {
      const { scenario, rttMs, record, session } = pair;
      return [
        scenarios[scenario],
        String(rttMs),
        record ? timing(record) : '—',
        record ? String(record.counts.roundTrips) : '—',
        session ? timing(session) : '—',
        byTime(pair),
        record && session ? `${(record.medianMs / session.medianMs).toFixed(1)}×` : '—',
      ];
    });
  const opens = results.measurements.filter(
    (each) => each.server === server && each.scenario === 'session-open',
  );
  const openAtZero = opens.find((each) => each.rttMs === 0);
  for (const open of opens) {
    const rtt = results.meta.proxyRttMs[String(open.rttMs)] ?? open.rttMs;
    const byClock =
      open.rttMs === 0 || openAtZero === undefined
        ? '—'
        : ((open.medianMs - openAtZero.medianMs) / rtt).toFixed(2);
    rows.push([
      'session set-up, once per host',
      String(open.rttMs),
      '—',
      '—',
      timing(open),
      byClock,
      '—',
    ]);
  }
  return markdownTable(header, rows);
}

function sweepTable(results: BenchResults): string {
  const sweep = sweepOf(results);
  const header = ['RTT', 'LXD lxd-api', 'lower bound', 'lxc', 'Incus lxd-api'];
  header.push('lower bound', 'incus');
  const rows = sweep.map((point) => [
    String(point.rttMs),
    ms(point.lxd.ours),
    ms(lowerBound(sweep, 'lxd', point.rttMs)),
    ms(point.lxd.client),
    ms(point.incus.ours),
    ms(lowerBound(sweep, 'incus', point.rttMs)),
    ms(point.incus.client),
  ]);
  return markdownTable(header, rows);
}

/** A Markdown table padded to its widest cells: words left, figures right. */
export function markdownTable(header: readonly string[], rows: readonly string[][]) {
  const widths = header.map((cell, column) =>
    Math.max(cell.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells
      .map((cell, column) => {
        const width = widths[column] ?? 0;
        return column === 0 ? cell.padEnd(width) : cell.padStart(width);
      })
      .join(' | ')} |`;
  const rule = widths.map((width, column) =>
    column === 0 ? '-'.repeat(width + 2) : `${'-'.repeat(width + 1)}:`,
  );
  return [line(header), `|${rule.join('|')}|`, ...rows.map(line)].join('\n');
}

function label(measurement: Measurement): string {
  const name: string = scenarios[measurement.scenario];
  if (measurement.files !== undefined) {
    return `${name} (${measurement.files.toLocaleString('en')} files)`;
  }
  if (measurement.bytes !== undefined && measurement.bytes > 100) {
    return name.replace('large file', `${Math.round(measurement.bytes / 2 ** 20)} MiB`);
  }
  return name;
}

// The median, with the throughput of a large transfer and our peak memory.
function timing(measurement: Measurement): string {
  const median = Math.round(measurement.medianMs).toLocaleString('en');
  const bytes = measurement.bytes ?? 0;
  if (bytes < 2 ** 20) return median;
  const rate = bytes / 1e6 / (measurement.medianMs / 1000);
  const memory =
    measurement.peakMemoryMiB === undefined
      ? ''
      : `, +${Math.round(measurement.peakMemoryMiB)} MiB`;
  return `${median} (${rate.toFixed(0)} MB/s${memory})`;
}

function ourCounts(measurement: Measurement): string {
  const { requests, connections, handshakes } = measurement.counts;
  return `${requests ?? '—'} · ${connections} · ${handshakes ?? '—'}`;
}

function ms(value: number | undefined): string {
  return value === undefined ? '—' : String(Math.round(value));
}
