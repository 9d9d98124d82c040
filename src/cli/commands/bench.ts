import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { connect } from '../../host/connect.js';
import type { Host } from '../../host/host.js';
import { RemoteRegistry } from '../../host/remote-registry.js';
import { exitCodes } from '../exit-codes.js';
import { parsePositive } from '../targets.js';

/** The flags of `lxd-api bench`. */
export interface BenchFlags {
  readonly count?: string;
  readonly json?: boolean;
}

/** One measured operation. */
interface Timing {
  readonly operation: string;
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  /** HTTP requests per operation, from the transport's own count. */
  readonly requests: number;
}

/**
 * `lxd-api bench TARGET`: times connect (cold), a warm `true`, and a put and get of
 * 100 bytes, each the median of `--count` runs (20), with the requests each costs.
 */
export async function benchCommand(target: string, flags: BenchFlags): Promise<number> {
  const count = parsePositive(flags.count, '--count', 20);
  const timings: Timing[] = [];
  const remote = join(`/tmp`, `.lxd-api-bench-${randomBytes(6).toString('hex')}`);
  const local = join(tmpdir(), `lxd-api-bench-${randomBytes(6).toString('hex')}`);
  const payload = randomBytes(100);

  // Cold: a registry of its own each time, so each connect pays TCP and TLS.
  const cold: number[] = [];
  let host: Host | undefined;
  let requests = 0;
  for (let i = 0; i < count; i += 1) {
    const remotes = new RemoteRegistry();
    const started = performance.now();
    const connected = await connect(target, { remotes });
    cold.push(performance.now() - started);
    requests = connected.api.transport.stats.requests;
    if (i === count - 1) host = connected;
    else {
      await connected.disconnect();
      await remotes.close();
    }
  }
  if (host === undefined) return exitCodes.failed;
  timings.push(summarize('connect (cold)', cold, requests));

  try {
    timings.push(await measure(host, 'exec true (warm)', count, () => host.run('true')));
    timings.push(
      await measure(host, 'put 100 B', count, () => host.putFile(payload, remote)),
    );
    timings.push(
      await measure(host, 'get 100 B', count, () => host.getFile(remote, local)),
    );
  } finally {
    await host.remove(remote).catch(() => undefined);
    await rm(local, { force: true });
    await host.disconnect();
  }

  if (flags.json === true) {
    for (const timing of timings) process.stdout.write(`${JSON.stringify(timing)}\n`);
  } else {
    process.stdout.write(
      `${host.spec}: ${host.facts.kind} ${host.facts.version}, ${count} runs each\n`,
    );
    process.stdout.write(table(timings));
  }
  return exitCodes.ok;
}

async function measure(
  host: Host,
  operation: string,
  count: number,
  run: () => Promise<unknown>,
): Promise<Timing> {
  await run();
  const stats = host.api.transport.stats;
  const before = stats.requests;
  const times: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  return summarize(operation, times, (stats.requests - before) / count);
}

function summarize(operation: string, times: number[], requests: number): Timing {
  const sorted = [...times].sort((a, b) => a - b);
  return {
    operation,
    medianMs: sorted[Math.floor(sorted.length / 2)] ?? 0,
    minMs: sorted[0] ?? 0,
    maxMs: sorted.at(-1) ?? 0,
    requests,
  };
}

function table(timings: readonly Timing[]): string {
  const rows = timings.map((timing) => [
    timing.operation,
    timing.medianMs.toFixed(1),
    timing.minMs.toFixed(1),
    timing.maxMs.toFixed(1),
    String(timing.requests),
  ]);
  const header = ['operation', 'median ms', 'min ms', 'max ms', 'requests'];
  const widths = header.map((cell, i) =>
    Math.max(cell.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    `${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ')}\n`;
  return line(header) + rows.map(line).join('');
}
