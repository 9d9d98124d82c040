// What the file scenarios share: the host and rig they run on, the local files,
// how ours and the client's transfers are measured, and the checks of what was
// fetched, made after each run and untimed.
import { rm } from 'node:fs/promises';

import type { Host } from '../../src/host/host.js';
import { measure, type Operation, type Subject } from '../measure.js';
import type { Measurement, ScenarioId } from '../results.js';
import type { Rig } from '../rig.js';
import { countFiles, sizeOf, type LocalFiles } from '../setup/local-files.js';

/** Where the file scenarios write in the instance. */
export const remoteBase = '/tmp/lxd-api-bench';

/** What a transfer moves: a file of some bytes, or a tree of some files. */
export type Load = { readonly bytes: number } | { readonly files: number };

/** One host and one round-trip time of the file scenarios. */
export class FileBench {
  readonly rig: Rig;
  readonly host: Host;
  readonly local: LocalFiles;
  readonly rttMs: number;

  constructor(rig: Rig, host: Host, local: LocalFiles, rttMs: number) {
    this.rig = rig;
    this.host = host;
    this.local = local;
    this.rttMs = rttMs;
  }

  /** Measures a transfer of ours, with our counters and, for big ones, memory. */
  async ours(
    scenario: ScenarioId,
    load: Load,
    runs: number,
    operation: Operation,
  ): Promise<Measurement> {
    const stats = () => this.host.api.transport.stats;
    const memory = !('bytes' in load) || load.bytes > 2 ** 20;
    // Our sockets close after 20 s idle, as long as a client's runs may take: one
    // request first, untimed, so that what is measured is a warm connection.
    await this.host.stat(remoteBase);
    const subject = this.#subject(scenario, 'lxd-api', load);
    return measure(subject, this.rig.proxy, { ...operation, stats, memory }, runs, 0);
  }

  /** Measures a transfer of the real client, a process per run. */
  async client(
    scenario: ScenarioId,
    load: Load,
    runs: number,
    operation: Operation,
  ): Promise<Measurement> {
    const subject = this.#subject(scenario, this.rig.server.client, load);
    return measure(subject, this.rig.proxy, operation, runs, 0);
  }

  /** `remote:instance`, as the clients write it before a path in the instance. */
  get instancePath(): string {
    return `${this.rig.remote}:${this.host.name}`;
  }

  /** The local file of `bytes` random bytes. */
  file(bytes: number): string {
    const file = this.local.files.get(bytes);
    if (file === undefined) throw new Error(`No local file of ${bytes} bytes was made.`);
    return file;
  }

  /** The local tree of `count` files. */
  tree(count: number): string {
    const tree = this.local.trees.get(count);
    if (tree === undefined) throw new Error(`No local tree of ${count} files was made.`);
    return tree;
  }

  /** Checks a fetched file's size, then removes it. */
  async checkFile(file: string, bytes: number): Promise<void> {
    const actual = await sizeOf(file);
    await rm(file, { force: true });
    if (actual !== bytes) {
      throw new Error(`Fetched ${String(actual)} bytes into ${file}, not ${bytes}.`);
    }
  }

  /** Checks a fetched tree's number of files, then removes `remove`. */
  async checkTree(folder: string, count: number, remove = folder): Promise<void> {
    const actual = await countFiles(folder);
    await rm(remove, { recursive: true, force: true });
    if (actual !== count) {
      throw new Error(`Fetched ${actual} files into ${folder}, not ${count}.`);
    }
  }

  #subject(scenario: ScenarioId, tool: Subject['tool'], load: Load): Subject {
    return { scenario, tool, server: this.rig.kind, rttMs: this.rttMs, ...load };
  }
}
