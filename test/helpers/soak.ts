// A soak: many commands on one host, one after another over one connection, with
// failures mixed in (exit codes, a missing binary, stderr, input, and faults that
// the FAULT proxy injects into the batch every so often), sampling open file
// descriptors and memory as it goes. Used by the soak test and by `npm run soak`.
import { readdirSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import type { ServerDescription } from '../../sandbox/description.js';
import type { RunOptions } from '../../src/host/run.js';
import { execSteps, type FaultRule } from './fault-proxy.js';
import { faultBench } from './fault-setup.js';
import { leftoverInputFiles, operationFiles } from './residue.js';

/** What a soak saw. */
export interface SoakFigures {
  readonly server: string;
  readonly commands: number;
  readonly outcomes: Readonly<Record<string, number>>;
  /** The first few errors thrown, for a reader to see what they were. */
  readonly errors: readonly string[];
  /** Faults the proxy injected. */
  readonly faults: number;
  /** TCP connections the client opened: one, plus one per fault that broke one. */
  readonly connections: number;
  /** Samples after the warm-up and at the end. */
  readonly fds: { readonly warm: number; readonly end: number };
  readonly heapMiB: { readonly warm: number; readonly end: number };
  readonly rssMiB: { readonly warm: number; readonly end: number };
  /** Output files of the soak's commands, and input files, left on the server. */
  readonly leftovers: readonly string[];
  readonly seconds: number;
}

/** Runs `count` commands on the server's second instance; `faultEvery` 0 injects none. */
export async function soak(
  server: ServerDescription,
  options: { count: number; faultEvery: number; onProgress?: (done: number) => void },
): Promise<SoakFigures> {
  const gc = exposeGc();
  const bench = await faultBench(server, server.instances[1] ?? 'web-2', {
    maxConnections: 1,
  });
  const started = performance.now();
  const outcomes: Record<string, number> = {};
  const operations = new Set<string>();
  const errors: string[] = [];
  const warmAt = Math.min(200, Math.floor(options.count / 4));
  let faults = 0;
  let warm = { fds: 0, heap: 0, rss: 0 };
  // Input files are named by a token the soak never sees: compare the folder.
  const inputsBefore = new Set(await leftoverInputFiles(bench.direct));
  try {
    for (let index = 0; index < options.count; index += 1) {
      if (
        options.faultEvery > 0 &&
        index % options.faultEvery === options.faultEvery - 1
      ) {
        bench.proxy.inject(faultFor(index / options.faultEvery));
        faults += 1;
      }
      const [command, runOptions] = commandFor(index);
      const outcome = await bench.host
        .run(command, { ...runOptions, reject: false })
        .then(
          (result) => {
            operations.add(result.operation);
            return result.ok ? 'ok' : `exit ${result.exitCode}`;
          },
          (error: unknown) => {
            if (errors.length < 5) errors.push(`#${index}: ${String(error)}`);
            return error instanceof Error ? error.name : 'thrown';
          },
        );
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      if (bench.proxy.seen.length > 1000) bench.proxy.reset();
      if (index + 1 === warmAt) warm = sample(gc);
      options.onProgress?.(index + 1);
    }
    const end = sample(gc);
    const leftovers = [
      ...(await operationFiles(bench.direct, [...operations])),
      ...(await leftoverInputFiles(bench.direct)).filter(
        (name) => !inputsBefore.has(name),
      ),
    ];
    return {
      server: server.title,
      commands: options.count,
      outcomes,
      errors,
      faults,
      connections: bench.host.api.transport.stats.connects,
      fds: { warm: warm.fds, end: end.fds },
      heapMiB: { warm: warm.heap, end: end.heap },
      rssMiB: { warm: warm.rss, end: end.rss },
      leftovers,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await bench.close();
  }
}

// Faults every step can recover from: the library finishes the batch again.
function faultFor(turn: number): FaultRule {
  const steps = [execSteps.wait, execSteps.readStdout, execSteps.deleteStderr];
  const step = steps[Math.floor(turn) % steps.length] ?? execSteps.wait;
  const kinds = [
    { kind: 'drop' },
    { kind: 'cut' },
    { kind: 'close-after-forward' },
  ] as const;
  return {
    ...step,
    fault: kinds[Math.floor(turn / steps.length) % kinds.length] ?? kinds[0],
  };
}

function commandFor(index: number): [string | string[], RunOptions] {
  switch (index % 6) {
    case 0:
      return [`echo ${index}`, {}];
    case 1:
      return ['exit 3', {}];
    case 2:
      return [['no-such-binary'], {}];
    case 3:
      return ['echo out; echo err >&2; exit 1', {}];
    case 4:
      return ['cat', { input: `line ${index}\n` }];
    default:
      return [['printf', '%s', 'x'.repeat(index % 500)], {}];
  }
}

function sample(gc: () => void): { fds: number; heap: number; rss: number } {
  gc();
  const memory = process.memoryUsage();
  return {
    fds: readdirSync('/proc/self/fd').length,
    heap: memory.heapUsed / 2 ** 20,
    rss: memory.rss / 2 ** 20,
  };
}

/** A full garbage collection, so that heap samples compare live memory only. */
function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}
