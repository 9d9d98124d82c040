// `npm run bench`: lxd-api against `lxc` and `incus` on the sandbox's real servers,
// through a delay proxy on loopback, at a chosen round-trip time. Prints a table,
// writes bench/results/latest.json, the chart bench/results/exec-latency.svg and
// the README's benchmark section.
import { readFile, readdir, mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';

import type { SandboxDescription } from '../sandbox/description.js';
import { benchProjectName } from '../sandbox/layout.js';
import { fullPlan, quickPlan, type Plan } from './plan.js';
import { updateReadme } from './report/readme.js';
import { execLatencyChart } from './report/svg.js';
import { sweepOf } from './report/pairs.js';
import { clusterTable } from './report/cluster-table.js';
import { resultTables } from './report/table.js';
import { judge } from './report/verdicts.js';
import type { BenchResults, Measurement } from './results.js';
import { makeRig, type Rig } from './rig.js';
import { runServer } from './run-server.js';
import { measureStartup } from './scenarios/cli.js';
import { measureCluster } from './scenarios/cluster.js';
import { smallBytes } from './scenarios/files.js';
import { calibrateProxy } from './setup/calibrate.js';
import {
  ensureFanOutInstances,
  removeFanOutInstances,
} from './setup/fan-out-instances.js';
import { prepareLocalFiles } from './setup/local-files.js';

const usage = `usage: npm run bench [-- --quick | --cluster | --exec-only | --remove-instances]

Measures lxd-api against lxc and incus on the sandbox's servers (npm run sandbox),
through a delay proxy on loopback at 0 and 26 ms round trip, with an exec sweep up
to 100 ms. About ten minutes; --quick measures every scenario a few times.

  --quick              a short run, for a look
  --cluster            only the clusters: an instance of the second member reached
                       straight at its member against forwarded by the first
                       (with --quick, fewer runs); writes bench/results/cluster.json
  --exec-only          the exec scenarios alone, record-output and session mode, at
                       0 and 26 ms, into bench/results/exec-only.json
  --remove-instances   delete the fan-out's containers (project ${benchProjectName})`;

const root = resolve(import.meta.dirname, '..');
const benchDir = join(root, '.sandbox', 'bench');
const resultsDir = join(root, 'bench', 'results');

async function main(argv: readonly string[]): Promise<void> {
  const known = [
    '--quick',
    '--cluster',
    '--exec-only',
    '--remove-instances',
    '--help',
    '-h',
  ];
  const unknown = argv.filter((arg) => !known.includes(arg));
  if (argv.includes('--help') || argv.includes('-h') || unknown.length > 0) {
    console.log(unknown.length > 0 ? `unknown ${unknown.join(' ')}\n${usage}` : usage);
    if (unknown.length > 0) process.exitCode = 2;
    return;
  }
  if (argv.includes('--remove-instances')) {
    for (const kind of ['lxd', 'incus'] as const) {
      const removed = await removeFanOutInstances(kind);
      console.log(`[${kind}] ${removed ? 'removed' : 'found no'} ${benchProjectName}`);
    }
    return;
  }

  const execOnly = argv.includes('--exec-only');
  const chosen = argv.includes('--quick') ? quickPlan : fullPlan;
  const plan = execOnly ? { ...chosen, sweep: chosen.rtts } : chosen;
  if (argv.includes('--cluster')) {
    const measured = await measureClusters(plan);
    await mkdir(resultsDir, { recursive: true });
    const file = join(resultsDir, 'cluster.json');
    const meta = {
      date: new Date().toISOString(),
      quick: plan.quick,
      node: process.version,
    };
    await writeFile(
      file,
      `${JSON.stringify({ meta, measurements: measured }, null, 2)}\n`,
    );
    console.log(`\n${clusterTable(measured)}\n\nWrote ${file}.`);
    return;
  }
  const started = performance.now();
  const loadAtStart = loadavg()[0] ?? 0;
  const servers = await sandboxServers();
  if (!execOnly) {
    const biggest = Math.max(...plan.fanOutSizes);
    say(`fan-out containers bench-1 … bench-${biggest} in project ${benchProjectName}`);
    const kinds = servers.map((server) => server.kind);
    await Promise.all(kinds.map((kind) => ensureFanOutInstances(kind, biggest)));
  }
  const local = await prepareLocalFiles(
    benchDir,
    execOnly ? [] : [smallBytes, plan.largeFileBytes, plan.sampleFileBytes],
    execOnly ? [] : [plan.treeFiles, plan.sampleTreeFiles],
  );
  const proxyRttMs = await calibrateProxy(plan.sweep);
  say(`proxy round trips, nominal: measured ${JSON.stringify(proxyRttMs)}`);

  const rigs: Rig[] = [];
  for (const server of servers) rigs.push(await makeRig(server, benchDir));
  const stateDir = join(benchDir, 'state');
  await mkdir(stateDir, { recursive: true });
  try {
    const measurements: Measurement[] = [];
    const versions: Record<string, string> = {};
    for (const rig of rigs) {
      const done = await runServer({
        rig,
        plan,
        local,
        stateDir,
        fanOutProject: benchProjectName,
        execOnly,
        report: (each) => {
          say(progressLine(each));
        },
      });
      measurements.push(...done.measurements);
      versions[rig.kind] = `${rig.server.title} ${done.version}`;
    }
    const cluster = execOnly ? [] : await measureClusters(plan);
    const [first] = rigs;
    if (first === undefined) throw new Error('no server to measure');
    const instance = first.server.instances[0] ?? '';
    const startup = execOnly
      ? { nodeMs: 0, ownMs: 0, totalMs: 0, runs: 0 }
      : await measureStartup(first, instance, stateDir, plan.clientRuns);
    if (!execOnly) say(`CLI start-up: ${JSON.stringify(startup)}`);

    const partial = {
      meta: {
        date: new Date().toISOString(),
        quick: plan.quick,
        node: process.version,
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? 'unknown',
        servers: versions,
        proxyRttMs,
        durationS: Math.round((performance.now() - started) / 1000),
        loadAverage: { start: loadAtStart, end: loadavg()[0] ?? 0 },
        notes: await notes(plan),
      },
      measurements,
      cluster,
      startup,
    };
    const results: BenchResults = {
      ...partial,
      verdicts: judge(partial, {
        bytes: plan.largeFileBytes,
        sampleBytes: plan.sampleFileBytes,
        files: plan.treeFiles,
        sampleFiles: plan.sampleTreeFiles,
      }),
    };
    if (execOnly) {
      await mkdir(resultsDir, { recursive: true });
      const file = join(resultsDir, 'exec-only.json');
      await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
    } else {
      await writeResults(results, plan);
      await updateReadme(join(root, 'README.md'), results);
    }
    printReport(
      results,
      execOnly
        ? 'exec-only.json'
        : "latest.json and exec-latency.svg, and the README's benchmark section",
    );
  } finally {
    await Promise.all(rigs.map((rig) => rig.proxy.close()));
  }
}

async function sandboxServers() {
  return Object.values((await sandboxDescription()).servers);
}

// Direct against forwarded on both clusters, at the plan's round-trip times.
async function measureClusters(plan: Plan): Promise<Measurement[]> {
  const { clusters } = await sandboxDescription();
  const measured: Measurement[] = [];
  for (const cluster of Object.values(clusters)) {
    say(`cluster ${cluster.remote}: direct and forwarded at ${plan.rtts.join(', ')} ms`);
    const done = await measureCluster(cluster, benchDir, plan.rtts, plan.runs * 2);
    for (const each of done) say(`${progressLine(each)}, ${each.note ?? ''}`);
    measured.push(...done);
  }
  return measured;
}

async function sandboxDescription(): Promise<SandboxDescription> {
  const file = join(root, '.sandbox', 'sandbox.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new Error(`The sandbox is not set up (${file} is missing): npm run sandbox`);
  }
  return JSON.parse(text) as SandboxDescription;
}

async function writeResults(results: BenchResults, plan: Plan): Promise<void> {
  await mkdir(resultsDir, { recursive: true });
  await writeFile(
    join(resultsDir, 'latest.json'),
    `${JSON.stringify(results, null, 2)}\n`,
  );
  await writeFile(
    join(resultsDir, 'exec-latency.svg'),
    execLatencyChart(
      sweepOf(results),
      results.meta.servers,
      `medians of ${plan.execRuns} runs (lxd-api) and ${plan.clientRuns} (clients), ` +
        `through a delay proxy on loopback, ${results.meta.date.slice(0, 10)}`,
    ),
  );
}

function printReport(results: BenchResults, written: string): void {
  console.log(`\n${resultTables(results)}\n`);
  if (results.cluster !== undefined && results.cluster.length > 0) {
    console.log(
      `An instance of a cluster's second member:\n\n${clusterTable(results.cluster)}\n`,
    );
  }
  console.log('Targets:\n');
  for (const verdict of results.verdicts) {
    const mark =
      verdict.met === undefined ? 'not measured' : verdict.met ? 'met' : 'MISSED';
    console.log(`- [${verdict.server}] ${verdict.target}: ${mark}, ${verdict.figure}`);
  }
  const { durationS, loadAverage, proxyRttMs, cpus: processors } = results.meta;
  console.log(
    `\nRound trips through the proxy, measured: ${JSON.stringify(proxyRttMs)}. Load ` +
      `average ${loadAverage.start.toFixed(1)} at the start and ` +
      `${loadAverage.end.toFixed(1)} at the end, on ${processors} processors.`,
  );
  console.log(`Wrote ${written} in ${resultsDir} in ${durationS} s.`);
}

function progressLine(measurement: Measurement): string {
  const { counts } = measurement;
  const what = measurement.files ?? measurement.bytes ?? '';
  return (
    `[${measurement.server}] ${measurement.scenario}${what === '' ? '' : ` ${what}`} ` +
    `@${measurement.rttMs} ms, ${measurement.tool}: ${measurement.medianMs} ms, ` +
    `${counts.roundTrips} round trips (${counts.connections} TCP, ${counts.turns} turns)`
  );
}

// What a reader of the results should know about this run.
async function notes(plan: Plan): Promise<string[]> {
  const debugging = await daemonsWithDebug();
  return [
    `runs: exec true ${plan.execRuns}, other operations ${plan.runs}, ` +
      `clients ${plan.clientRuns}, ` +
      `fan-out ${plan.fanOutRuns}, large files and trees ${plan.bulkRuns}`,
    `round trips counted = client turns + TCP connections (each a handshake)`,
    `fan-out at the fleet's default bound of 16 instances at once`,
    debugging.length === 0
      ? 'servers without --debug or --verbose'
      : `servers WITH debug logging: ${debugging.join(', ')}`,
  ];
}

// The daemons' command lines, from /proc: a server logging every request is slower.
async function daemonsWithDebug(): Promise<string[]> {
  const found: string[] = [];
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const argv = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    const [program = '', ...args] = argv.split('\0');
    if (!/(^|\/)(lxd|incusd)$/.test(program)) continue;
    const verbose = args.some((arg) => arg === '--debug' || arg === '--verbose');
    if (verbose) found.push(program);
  }
  return found;
}

function say(text: string): void {
  console.log(`[bench] ${text}`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error('bench: failed', error);
  process.exitCode = 1;
});
