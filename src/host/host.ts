import { LxdApi, type Instance } from '../api/api-client.js';
import type { ServerFacts } from '../api/server-facts.js';
import type { ResolvedRemote } from '../config/resolve.js';
import type { Command } from './command.js';
import type { RemoteConnection } from './remote-registry.js';
import { run, type RunOptions, type RunResult } from './run.js';
import { stream, type RunningCommand } from './stream.js';

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

  #connection: RemoteConnection | undefined;

  constructor(details: {
    spec: string;
    connection: RemoteConnection;
    project: string;
    facts: ServerFacts;
    instance: Instance;
  }) {
    this.spec = details.spec;
    this.remote = details.connection.remote;
    this.project = details.project;
    this.name = details.instance.name;
    this.facts = details.facts;
    this.instance = details.instance;
    this.api = new LxdApi(details.connection.transport, { project: details.project });
    this.#connection = details.connection;
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

  /** Whether `disconnect` has not been called yet. */
  get connected(): boolean {
    return this.#connection !== undefined;
  }

  /** Releases the host; the remote's sockets close when its last host is gone. */
  async disconnect(): Promise<void> {
    const connection = this.#connection;
    this.#connection = undefined;
    await connection?.release();
  }
}
