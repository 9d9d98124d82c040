import { LxdApi, type Instance } from '../api/api-client.js';
import type { ServerFacts } from '../api/server-facts.js';
import type { ResolvedRemote } from '../config/resolve.js';
import type { Command } from './command.js';
import type { FileSource } from './file-source.js';
import {
  mkdir,
  readDir,
  remove,
  stat,
  symlink,
  type FileStat,
  type MkdirOptions,
  type RemoveOptions,
  type SymlinkOptions,
} from './files.js';
import {
  getFile,
  type FileDestination,
  type GetFileOptions,
  type GetFileResult,
} from './get-file.js';
import { getTree } from './get-tree.js';
import { putFile, type PutFileOptions, type PutFileResult } from './put-file.js';
import { putTree } from './put-tree.js';
import type { InstanceRoute } from './instance-route.js';
import type { RemoteConnection } from './remote-registry.js';
import { run, type RunMode, type RunOptions, type RunResult } from './run.js';
import { SessionPool } from './session/pool.js';
import { stream, type RunningCommand } from './stream.js';
import type { TreeOptions, TreeResult } from './tree.js';

/** Sessions a host keeps open at most by default. */
const defaultMaxSessions = 8;

/** A connected instance: the handle that commands and file transfers go through. */
export class Host {
  /** The host spec it was connected with. */
  readonly spec: string;
  readonly remote: ResolvedRemote;
  readonly project: string;
  /** The instance's name on its remote. */
  readonly name: string;
  /** What the remote's server is and how it behaves. */
  readonly facts: ServerFacts;
  /** The instance as it was when connected. */
  readonly instance: Instance;
  /** The REST API, bound to the instance's project. */
  readonly api: LxdApi;
  /**
   * On a clustered remote, the way to the member that hosts the instance: which
   * member, and whether requests go straight to it. Undefined otherwise.
   */
  readonly route: InstanceRoute | undefined;

  /** How `run` reaches the instance unless a call says otherwise. */
  readonly mode: RunMode;
  /** Whether session mode may fall back to record-output. */
  readonly fallback: boolean;

  #connection: RemoteConnection | undefined;
  readonly #maxSessions: number;
  #sessions: SessionPool | undefined;

  constructor(details: {
    spec: string;
    connection: RemoteConnection;
    project: string;
    facts: ServerFacts;
    instance: Instance;
    route?: InstanceRoute | undefined;
    mode?: RunMode;
    fallback?: boolean;
    maxSessions?: number;
  }) {
    this.spec = details.spec;
    this.remote = details.connection.remote;
    this.project = details.project;
    this.name = details.instance.name;
    this.facts = details.facts;
    this.instance = details.instance;
    this.route = details.route;
    this.api = new LxdApi(details.route ?? details.connection.transport, {
      project: details.project,
    });
    this.#connection = details.connection;
    this.mode = details.mode ?? 'record';
    this.fallback = details.fallback ?? false;
    this.#maxSessions = details.maxSessions ?? defaultMaxSessions;
  }

  /** The host's sessions, opened as session-mode commands need them. */
  get sessions(): SessionPool {
    this.#sessions ??= new SessionPool(this, this.#maxSessions);
    return this.#sessions;
  }

  /**
   * Runs a command: a shell string (`sh -c`) or an argv (no shell). Resolves with
   * the exit code and output; rejects with a CommandFailedError carrying the same
   * fields when the command fails, unless `reject: false` or `okExitCodes` say
   * otherwise.
   */
  run(command: Command, options?: RunOptions): Promise<RunResult> {
    return run(this, command, options);
  }

  /** Starts a command and gives its output as an async iterator while it runs. */
  stream(command: Command, options?: RunOptions): RunningCommand {
    return stream(this, command, options);
  }

  /** Writes a file in the instance from a local path, bytes, `{ text }` or a stream. */
  putFile(
    source: FileSource,
    remotePath: string,
    options?: PutFileOptions,
  ): Promise<PutFileResult> {
    return putFile(this, source, remotePath, options);
  }

  /** Reads a file of the instance into a local path or a stream. */
  getFile(
    remotePath: string,
    destination: FileDestination,
    options?: GetFileOptions,
  ): Promise<GetFileResult> {
    return getFile(this, remotePath, destination, options);
  }

  /** Looks up a path without following a symlink. */
  stat(remotePath: string): Promise<FileStat> {
    return stat(this, remotePath);
  }

  /** Lists a directory's entry names. */
  readDir(remotePath: string): Promise<string[]> {
    return readDir(this, remotePath);
  }

  /** Creates a directory, with its parents when asked. */
  mkdir(remotePath: string, options?: MkdirOptions): Promise<void> {
    return mkdir(this, remotePath, options);
  }

  /** Creates a symlink at `remotePath` pointing to `target`. */
  symlink(target: string, remotePath: string, options?: SymlinkOptions): Promise<void> {
    return symlink(this, target, remotePath, options);
  }

  /** Removes a file, a symlink or a directory. */
  remove(remotePath: string, options?: RemoveOptions): Promise<void> {
    return remove(this, remotePath, options);
  }

  /** Copies a local folder's contents into a folder of the instance. */
  putTree(
    localDir: string,
    remoteDir: string,
    options?: TreeOptions,
  ): Promise<TreeResult> {
    return putTree(this, localDir, remoteDir, options);
  }

  /** Copies a folder of the instance into a local folder. */
  getTree(
    remoteDir: string,
    localDir: string,
    options?: TreeOptions,
  ): Promise<TreeResult> {
    return getTree(this, remoteDir, localDir, options);
  }

  /** Whether `disconnect` has not been called yet. */
  get connected(): boolean {
    return this.#connection !== undefined;
  }

  /**
   * Releases the host: its sessions end (after the commands in them) and their
   * shells exit; the remote's sockets close when its last host is gone.
   */
  async disconnect(): Promise<void> {
    const connection = this.#connection;
    this.#connection = undefined;
    await this.#sessions?.close();
    await connection?.release();
  }
}
