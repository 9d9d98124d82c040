// Files: put and get of 100 bytes, of large files, and of trees of small files;
// ours through the host's file methods, the baseline through the client's `file
// push` and `file pull` (`-r` for trees). What was fetched is checked after each run.
import { join } from 'node:path';

import type { Host } from '../../src/host/host.js';
import type { Measurement } from '../results.js';
import type { Rig } from '../rig.js';
import type { LocalFiles } from '../setup/local-files.js';
import { clientCommand } from './client-command.js';
import { FileBench, remoteBase } from './file-bench.js';
import { measureTrees } from './trees.js';

/** What the file scenarios move at one round-trip time, and how often. */
export interface FileRuns {
  /** Runs of ours with 100 bytes, and of the client's. */
  readonly small: number;
  readonly smallClient: number;
  /** Runs of large files and trees, each tool. */
  readonly bulk: number;
  /** Sizes of the large files ours moves, and of those the client moves. */
  readonly ourLarge: readonly number[];
  readonly clientLarge: readonly number[];
  /** Sizes of the trees ours moves, and of those the client moves. */
  readonly ourTrees: readonly number[];
  readonly clientTrees: readonly number[];
}

export const smallBytes = 100;

/** Every file scenario at the rig's current round-trip time, ours then the client's. */
export async function measureFiles(
  rig: Rig,
  host: Host,
  local: LocalFiles,
  rttMs: number,
  runs: FileRuns,
): Promise<Measurement[]> {
  const bench = new FileBench(rig, host, local, rttMs);
  await host.mkdir(remoteBase, { parents: true });
  try {
    const measured: Measurement[] = [];
    const sizes = [
      { bytes: smallBytes, ours: runs.small, client: runs.smallClient },
      ...runs.ourLarge.map((bytes) => ({
        bytes,
        ours: runs.bulk,
        client: runs.clientLarge.includes(bytes) ? runs.bulk : 0,
      })),
    ];
    for (const { bytes, ours, client } of sizes) {
      measured.push(await ourPut(bench, bytes, ours), await ourGet(bench, bytes, ours));
      if (client === 0) continue;
      measured.push(
        await clientPush(bench, bytes, client),
        await clientPull(bench, bytes, client),
      );
    }
    measured.push(
      ...(await measureTrees(bench, runs.ourTrees, runs.clientTrees, runs.bulk)),
    );
    return measured;
  } finally {
    await host.remove(remoteBase, { recursive: true, force: true });
  }
}

async function ourPut(bench: FileBench, bytes: number, runs: number) {
  const source = bench.file(bytes);
  return bench.ours(scenario('put', bytes), { bytes }, runs, {
    run: async () => {
      await bench.host.putFile(source, remotePath(bytes));
    },
  });
}

async function ourGet(bench: FileBench, bytes: number, runs: number) {
  const target = join(bench.local.out, `file-${bytes}`);
  return bench.ours(scenario('get', bytes), { bytes }, runs, {
    run: async () => {
      await bench.host.getFile(remotePath(bytes), target);
    },
    after: () => bench.checkFile(target, bytes),
  });
}

async function clientPush(bench: FileBench, bytes: number, runs: number) {
  const to = `${bench.instancePath}${remotePath(bytes)}`;
  const run = clientCommand(bench.rig, [
    'file',
    'push',
    '--quiet',
    bench.file(bytes),
    to,
  ]);
  return bench.client(scenario('put', bytes), { bytes }, runs, { run });
}

async function clientPull(bench: FileBench, bytes: number, runs: number) {
  const target = join(bench.local.out, `file-${bytes}`);
  const from = `${bench.instancePath}${remotePath(bytes)}`;
  const run = clientCommand(bench.rig, ['file', 'pull', '--quiet', from, target]);
  return bench.client(scenario('get', bytes), { bytes }, runs, {
    run,
    after: () => bench.checkFile(target, bytes),
  });
}

function scenario(verb: 'put' | 'get', bytes: number) {
  return bytes === smallBytes ? (`${verb}-small` as const) : (`${verb}-large` as const);
}

function remotePath(bytes: number): string {
  return `${remoteBase}/file-${bytes}`;
}
