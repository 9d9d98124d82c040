// The `lxd-api` command as a process: how long it takes to start before its first
// request, and a whole `lxd-api exec TARGET -- true` against `lxc exec`.
import { readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { execa } from 'execa';

import { measure, median, round } from '../measure.js';
import type { Measurement, StartupMeasurement } from '../results.js';
import type { Rig } from '../rig.js';

const main = resolve(import.meta.dirname, '../../dist/cli/lxd-api.js');

// Loaded with --import before the CLI's first module, it notes when it was loaded
// and when undici creates the first request, as epoch milliseconds, into a file.
// Diagnostics channels are global by name, so it sees the CLI's own undici.
const probe = `
import { subscribe } from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';
const now = () => performance.timeOrigin + performance.now();
const marks = { loaded: now() };
const first = () => {
  if (marks.request !== undefined) return;
  marks.request = now();
  writeFileSync(process.env.LXD_API_BENCH_PROBE, JSON.stringify(marks));
};
subscribe('undici:request:create', first);
`;

/**
 * Spawns `lxd-api exec TARGET -- true` `runs` times with the probe and splits the
 * wait before its first request into Node's own start and ours. The parent notes
 * the time just before spawning, on the same clock.
 */
export async function measureStartup(
  rig: Rig,
  instance: string,
  stateDir: string,
  runs: number,
): Promise<StartupMeasurement> {
  const marksFile = join(stateDir, 'probe.json');
  const node: number[] = [];
  const own: number[] = [];
  const total: number[] = [];
  for (let i = 0; i <= runs; i += 1) {
    await rm(marksFile, { force: true });
    const spawned = performance.timeOrigin + performance.now();
    await execa(
      process.execPath,
      [
        `--import=data:text/javascript,${encodeURIComponent(probe)}`,
        ...cliArgs(rig, instance),
      ],
      {
        env: { ...cliEnv(rig, stateDir), LXD_API_BENCH_PROBE: marksFile },
        stdin: 'ignore',
      },
    );
    const marks = JSON.parse(await readFile(marksFile, 'utf8')) as {
      loaded: number;
      request: number;
    };
    // The first run fills the file system cache and is not kept.
    if (i === 0) continue;
    node.push(marks.loaded - spawned);
    own.push(marks.request - marks.loaded);
    total.push(marks.request - spawned);
  }
  return {
    nodeMs: round(median(node)),
    ownMs: round(median(own)),
    totalMs: round(median(total)),
    runs,
  };
}

/** A whole `lxd-api exec TARGET -- true`, process start to exit. */
export async function measureCliExec(
  rig: Rig,
  instance: string,
  stateDir: string,
  rttMs: number,
  runs: number,
): Promise<Measurement> {
  const run = async () => {
    const result = await execa(process.execPath, cliArgs(rig, instance), {
      env: cliEnv(rig, stateDir),
      stdin: 'ignore',
      reject: false,
    });
    if (result.exitCode !== 0 || result.stdout !== '') {
      throw new Error(`lxd-api exec failed (${result.exitCode}): ${result.stderr}`);
    }
  };
  const subject = {
    scenario: 'cli-exec',
    tool: 'lxd-api CLI',
    server: rig.kind,
    rttMs,
  } as const;
  return measure(subject, rig.proxy, { run }, runs);
}

// -n: standard input is /dev/null here, and not meant as the command's input.
function cliArgs(rig: Rig, instance: string): string[] {
  return [main, 'exec', '-n', rig.spec(instance), '--', 'true'];
}

// No colours, and no state of the user's: the state file goes to the bench folder.
function cliEnv(rig: Rig, stateDir: string): Record<string, string> {
  return { ...rig.env, LXD_API_STATE_DIR: stateDir, NO_COLOR: '1' };
}
