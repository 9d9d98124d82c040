import { randomBytes } from 'node:crypto';
import { debuglog } from 'node:util';

import { execWithSockets, type ExecSockets } from '../../api/exec-websocket.js';
import { AbortError } from '../../transport/errors.js';
import type { Host } from '../host.js';
import { killMarked } from '../kill.js';
import { describeHost } from '../users.js';
import { commandLine, driverScript, type SessionCommand } from './driver.js';
import { SessionBrokenError, SessionUnavailableError, type Ran } from './errors.js';
import { MarkerScanner } from './markers.js';

const debug = debuglog('lxdapi:session');

/** The environment variable that marks every process of a session. */
export const sessionMarker = 'LXD_API_SESSION';

/** Who a session's shell runs as: what the exec API is given once per session. */
export interface SessionIdentity {
  readonly uid?: number;
  readonly gid?: number;
  readonly env: Readonly<Record<string, string>>;
}

/** Where one command's output goes while it arrives. */
export interface SessionOutput {
  readonly stdout: (chunk: Buffer) => void;
  readonly stderr: (chunk: Buffer) => void;
}

/** Milliseconds that the end marker may take once a timed-out command was killed. */
const markerGrace = 2000;

/** Milliseconds that a closing session's shell has to exit by itself. */
const closeGrace = 5000;

/** The command in flight, and how to settle it. */
interface InFlight {
  readonly stdout: MarkerScanner;
  readonly stderr: MarkerScanner;
  readonly display: string;
  /** Called once, when the shell has read the command and is starting it. */
  onStarted: (() => void) | undefined;
  resolve(exitCode: number): void;
  fail(reason: string, cause?: unknown): void;
}

/**
 * One shell in the instance, started by a non-interactive exec whose standard
 * streams are WebSockets kept open, that runs the commands sent into it one at a
 * time (see driver.ts for the protocol).
 */
export class Session {
  /** Random; names the session's processes (`LXD_API_SESSION`) and its folder. */
  readonly id: string;
  /** The exec operation the session lives in. */
  readonly operation: string;
  readonly #host: Host;
  readonly #sockets: ExecSockets;
  #current: InFlight | undefined;
  #broken: string | undefined;
  #closing: Promise<void> | undefined;

  private constructor(host: Host, id: string, sockets: ExecSockets, hooks: SocketHooks) {
    this.#host = host;
    this.id = id;
    this.operation = sockets.operation;
    this.#sockets = sockets;
    hooks.deliver = (stream, data) => {
      this.#deliver(stream, data);
    };
    hooks.lost = (reason) => {
      this.#lost(reason);
    };
  }

  /** Starts a session's shell as `identity`; SessionUnavailableError if it cannot. */
  static async open(host: Host, identity: SessionIdentity): Promise<Session> {
    const id = randomBytes(8).toString('hex');
    const hooks: SocketHooks = {};
    const started = performance.now();
    let sockets: ExecSockets;
    try {
      sockets = await execWithSockets(
        host.api,
        host.name,
        {
          command: ['sh', '-c', driverScript, 'lxd-api-session', id],
          environment: { ...identity.env, [sessionMarker]: id },
          ...(identity.uid === undefined ? {} : { user: identity.uid }),
          ...(identity.gid === undefined ? {} : { group: identity.gid }),
        },
        {
          onStdout: (data) => hooks.deliver?.('stdout', data),
          onStderr: (data) => hooks.deliver?.('stderr', data),
          onClose: (reason) => hooks.lost?.(reason),
        },
        { timeout: 10_000 },
      );
    } catch (error) {
      throw new SessionUnavailableError(describeHost(host), error);
    }
    const session = new Session(host, id, sockets, hooks);
    session.#setRef(false);
    debug('session %s opened in %d ms', id, Math.round(performance.now() - started));
    return session;
  }

  /** Stops reading a stream until `resume`: its sink is full. */
  pause(stream: 'stdout' | 'stderr'): void {
    this.#sockets[stream].pause();
  }

  resume(stream: 'stdout' | 'stderr'): void {
    this.#sockets[stream].resume();
  }

  /** Why the session cannot take commands any more, if it cannot. */
  get broken(): string | undefined {
    return this.#broken;
  }

  /**
   * Runs one command and resolves with its exit code once both end markers came.
   * `killed` is aborted when the command has been killed from outside: the
   * markers must then come soon, or the session is given up as stuck. A command
   * whose `signal` was aborted before it could be sent is not sent at all.
   */
  async run(
    command: SessionCommand,
    input: Buffer | undefined,
    output: SessionOutput,
    details: {
      display: string;
      killed?: AbortSignal;
      signal?: AbortSignal;
      onStarted?: () => void;
    },
  ): Promise<number> {
    if (this.#broken !== undefined || this.#current !== undefined) {
      throw this.#error(details.display, 'no', this.#broken ?? 'a command is in flight');
    }
    if (details.signal?.aborted === true) {
      throw new AbortError(
        `Command \`${details.display}\` on ${describeHost(this.#host)} was aborted ` +
          'while it waited for a session; it never started.',
        { remote: this.#host.remote.name, sent: 'no', cause: details.signal.reason },
      );
    }
    const line = Buffer.from(commandLine(command));
    let grace: NodeJS.Timeout | undefined;
    const onKilled = () => {
      grace = setTimeout(() => {
        this.#lost(`no end marker within ${markerGrace} ms after the command was killed`);
      }, markerGrace);
    };
    try {
      return await new Promise<number>((resolve, reject) => {
        const flight: InFlight = {
          stdout: new MarkerScanner(command.token, output.stdout),
          stderr: new MarkerScanner(command.token, output.stderr),
          display: details.display,
          onStarted: details.onStarted,
          resolve,
          fail: (reason, cause) => {
            this.#current = undefined;
            const began = flight.stdout.began || flight.stderr.began;
            reject(this.#error(details.display, began ? 'yes' : 'maybe', reason, cause));
          },
        };
        this.#current = flight;
        this.#setRef(true);
        if (details.killed?.aborted === true) onKilled();
        else details.killed?.addEventListener('abort', onKilled, { once: true });
        this.#sockets.stdin.send(
          input === undefined || input.length === 0 ? line : Buffer.concat([line, input]),
        );
      });
    } finally {
      clearTimeout(grace);
      details.killed?.removeEventListener('abort', onKilled);
      this.#setRef(false);
    }
  }

  // An idle session must not keep the process alive: a program that ends without
  // a disconnect exits, its connections close, and the server ends the shell.
  #setRef(ref: boolean): void {
    const { stdin, stdout, stderr, control } = this.#sockets;
    for (const socket of [stdin, stdout, stderr, control]) socket.setRef(ref);
  }

  /**
   * Ends the session: its shell sees the end of its input and exits, killing its
   * relays and removing its folder. A shell that does not exit in time, and the
   * shell of a broken session, are killed with every process they started.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#broken ??= 'the session was closed';
    const { stdin, stdout, stderr, control } = this.#sockets;
    const all = [stdin, stdout, stderr, control];
    stdin.close();
    const ended = Promise.all([stdout.closed, stderr.closed]).then(() => true);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => {
        resolve(false);
      }, closeGrace);
    });
    const exited = await Promise.race([ended, late]);
    clearTimeout(timer);
    for (const socket of all) socket.terminate();
    if (!exited) await this.#killAll();
    await Promise.all(all.map((socket) => socket.closed));
  }

  /** Discards a session that broke: its sockets close and its processes die. */
  async discard(): Promise<void> {
    this.#closing ??= (async () => {
      this.#broken ??= 'the session was discarded';
      const { stdin, stdout, stderr, control } = this.#sockets;
      for (const socket of [stdin, stdout, stderr, control]) socket.terminate();
      await this.#killAll();
    })();
    return this.#closing;
  }

  async #killAll(): Promise<void> {
    // The shell's own cleanup never ran: remove its folder too.
    try {
      await killMarked(this.#host, sessionMarker, this.id);
      await this.#host.run(['sh', '-c', 'rm -rf /tmp/.lxd-api-session-"$0"-*', this.id], {
        mode: 'record',
      });
    } catch (error) {
      debug('could not clean up session %s: %s', this.id, String(error));
    }
  }

  // Output between commands (late writes of a finished command's children) has
  // no command to go to, and is dropped.
  #deliver(stream: 'stdout' | 'stderr', data: Buffer): void {
    const flight = this.#current;
    if (flight === undefined) return;
    flight[stream].feed(data);
    if (flight.onStarted !== undefined && flight[stream].began) {
      flight.onStarted();
      flight.onStarted = undefined;
    }
    if (flight.stdout.done && flight.stderr.done) {
      this.#current = undefined;
      flight.resolve(flight.stdout.exitCode ?? 0);
    }
  }

  #lost(reason: string): void {
    this.#broken ??= reason;
    const flight = this.#current;
    if (flight !== undefined) flight.fail(reason);
  }

  #error(display: string, ran: Ran, reason: string, cause?: unknown): SessionBrokenError {
    return new SessionBrokenError({
      host: describeHost(this.#host),
      command: display,
      ran,
      reason,
      ...(cause === undefined ? {} : { cause }),
    });
  }
}

/** Lets the socket events, wired before the session exists, reach it. */
interface SocketHooks {
  deliver?: (stream: 'stdout' | 'stderr', data: Buffer) => void;
  lost?: (reason: string) => void;
}
