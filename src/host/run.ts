import { randomBytes } from 'node:crypto';
import { debuglog } from 'node:util';

import { execLive, execRecorded, type ExecInput } from '../api/exec.js';
import { ApiError, OutputLostError } from '../api/errors.js';
import { deleteFile } from '../api/files.js';
import { LxdApiError } from '../errors.js';
import { AbortError, TransportError } from '../transport/errors.js';
import {
  buildArgv,
  CommandInputError,
  describeCommand,
  type Command,
} from './command.js';
import { CommandFailedError, CommandInterruptedError } from './errors.js';
import type { Host } from './host.js';
import { killMarked } from './kill.js';
import { makeSink, OutputLimitError, type OutputTarget } from './output.js';
import { SessionUnavailableError } from './session/errors.js';
import { sessionExec } from './session/session-exec.js';
import { describeHost, lookupUser, userById } from './users.js';

const debug = debuglog('lxdapi:run');

/** Options of `run`. */
export interface RunOptions {
  /** Environment variables for the command, over the server's defaults. */
  readonly env?: Readonly<Record<string, string>>;
  /** Working directory in the instance. */
  readonly cwd?: string;
  /** User to run as: a uid, or a name looked up in the instance's /etc/passwd. */
  readonly user?: number | string;
  /** Numeric group; by default the user's own group. */
  readonly group?: number;
  /** Run through `sudo -n` (as `sudoUser` when given). */
  readonly sudo?: boolean;
  readonly sudoUser?: string;
  /** Run through `su` as this user. */
  readonly su?: string;
  /** The shell for a string command; `sh` by default. */
  readonly shell?: string;
  /** Bytes or text for the command's standard input. */
  readonly input?: string | Uint8Array;
  /** Milliseconds after which the command and its children are killed. */
  readonly timeout?: number;
  /** Where stdout and stderr go: memory (default), nowhere, a stream, or a file. */
  readonly stdout?: OutputTarget;
  readonly stderr?: OutputTarget;
  /** Bytes kept in memory per stream at most; 64 MiB by default. */
  readonly maxBuffer?: number;
  /**
   * Live output: called with each chunk while the command runs, in order, every
   * byte once. The output files are polled with Range requests; the poll interval
   * adapts between `pollInterval.min` and `.max` milliseconds (50 and 1000).
   */
  readonly onStdout?: (chunk: Buffer) => void;
  readonly onStderr?: (chunk: Buffer) => void;
  readonly pollInterval?: { readonly min: number; readonly max: number };
  /** `text` (default) gives strings, `buffer` gives bytes. */
  readonly encoding?: 'text' | 'buffer';
  /** Drop one trailing newline of text output, as shells do; true by default. */
  readonly stripFinalNewline?: boolean;
  /** Exit codes that count as success besides 0. */
  readonly okExitCodes?: readonly number[];
  /** Resolve with the result instead of rejecting when the command fails. */
  readonly reject?: boolean;
  /** Stops the command (it is killed in the instance) and rejects. */
  readonly signal?: AbortSignal;
  /** Not supported: a clear error says so. */
  readonly pty?: boolean;
  /**
   * `record` runs the command in an exec of its own with record-output (two round
   * trips); `session` sends it into a shell kept open on the host (one round
   * trip). The host's mode by default, which is `record` unless connected with
   * another.
   */
  readonly mode?: RunMode;
  /**
   * In session mode, run with record-output when the session's WebSockets cannot
   * be opened, instead of failing with a SessionUnavailableError. The host's
   * setting by default (false).
   */
  readonly fallback?: boolean;
}

/** How a command reaches the instance. */
export type RunMode = 'record' | 'session';

/** What a command did. */
export interface RunResult<T extends string | Buffer = string | Buffer> {
  /** `remote:instance`. */
  readonly host: string;
  /** The command as given, quoted as a shell would read it. */
  readonly command: string;
  /** What the exec API ran, after shells, sudo, su and input were added. */
  readonly argv: readonly string[];
  readonly exitCode: number;
  readonly stdout: T;
  readonly stderr: T;
  /** The exit code was 0 or one of `okExitCodes`, and the command did not time out. */
  readonly ok: boolean;
  readonly timedOut: boolean;
  /** Milliseconds from the request to the end of the output. */
  readonly durationMs: number;
  /** The server's operation id. */
  readonly operation: string;
}

const defaultMaxBuffer = 64 * 1024 * 1024;

/** Runs a command in the instance with record-output, in two round trips. */
export async function run(
  host: Host,
  command: Command,
  options: RunOptions = {},
): Promise<RunResult> {
  checkOptions(options);
  const started = performance.now();
  const name = describeHost(host);
  if (options.signal?.aborted === true) {
    throw new AbortError(`Command on ${name} was aborted before it started.`, {
      remote: host.remote.name,
      sent: 'no',
      cause: options.signal.reason,
    });
  }
  const plain = buildArgv(command, options);
  let argv = plain;
  const identity = await identityOf(host, options);
  const display = describeCommand(command);

  // A token in the environment marks the command and every child it starts, so
  // that a timeout can find them all from inside the instance and kill them.
  const token = randomBytes(12).toString('hex');
  const marked =
    options.timeout !== undefined || options.signal !== undefined
      ? { [runMarker]: token }
      : {};
  const environment: Record<string, string> = {
    ...identity.env,
    ...options.env,
    ...marked,
  };

  let input: ExecInput | undefined;
  if (options.input !== undefined) {
    const path = `/tmp/.lxd-api-stdin-${token}`;
    input = {
      path,
      data: Buffer.from(options.input),
      uid: identity.uid ?? 0,
      gid: identity.gid ?? 0,
    };
  }

  const maxBuffer = options.maxBuffer ?? defaultMaxBuffer;
  const stdout = makeSink(options.stdout ?? 'buffer', maxBuffer, options.onStdout);
  const stderr = makeSink(options.stderr ?? 'buffer', maxBuffer, options.onStderr);
  const live = options.onStdout !== undefined || options.onStderr !== undefined;

  const state = { timedOut: false };
  // A kill must wait until the command runs: a session-mode command may wait for
  // a free session first, and a kill before it starts would find nothing.
  let markStarted: (ran: boolean) => void = () => undefined;
  const running = new Promise<boolean>((resolve) => {
    markStarted = resolve;
  });
  const killed = new AbortController();
  let killing: Promise<void> | undefined;
  const kill = () => {
    killing ??= running
      .then((ran) => (ran ? killMarked(host, runMarker, token) : undefined))
      .finally(() => {
        killed.abort();
      });
  };
  const timer =
    options.timeout === undefined
      ? undefined
      : setTimeout(() => {
          state.timedOut = true;
          kill();
        }, options.timeout);
  options.signal?.addEventListener('abort', kill, { once: true });

  const io = { stdout: stdout.writable, stderr: stderr.writable };
  let operation: string | undefined;
  const recorded = async () => {
    markStarted(true);
    if (input !== undefined) argv = ['sh', '-c', stdinWrapper, input.path, ...plain];
    const spec = {
      command: argv,
      environment,
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      ...(identity.uid === undefined ? {} : { user: identity.uid }),
      ...(identity.gid === undefined ? {} : { group: identity.gid }),
    };
    const withInput = {
      ...io,
      ...(input ? { input } : {}),
      // On a cluster, the operation names the member that runs the command.
      onStart: (id: string, location: string | undefined) => {
        operation = id;
        host.route?.observe(location);
      },
    };
    try {
      return await (live
        ? execLive(host.api, host.facts, host.name, spec, withInput, options.pollInterval)
        : execRecorded(host.api, host.facts, host.name, spec, withInput));
    } catch (error) {
      if (isAborted(options.signal)) throw error;
      const failure = interrupted(error, operation, { host: name, command: display });
      // A command that may not have started leaves its input file behind: remove
      // it. Should the command start after all, it finds no input and exits 126
      // without running.
      if (input !== undefined && failure instanceof CommandInterruptedError) {
        if (failure.ran === 'maybe') {
          await deleteFile(host.api, host.name, input.path).catch(() => undefined);
        }
      }
      throw failure;
    }
  };
  const inSession = () =>
    sessionExec(
      host.sessions,
      {
        argv: plain,
        env: { ...options.env, ...marked },
        ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
        identity,
        ...(input === undefined ? {} : { input: input.data }),
      },
      io,
      {
        display,
        killed: killed.signal,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        onStarted: () => {
          markStarted(true);
        },
      },
    );

  let outcome;
  try {
    if ((options.mode ?? host.mode) !== 'session') {
      outcome = await recorded();
    } else {
      try {
        outcome = await inSession();
      } catch (error) {
        const fallback = options.fallback ?? host.fallback;
        if (!(fallback && error instanceof SessionUnavailableError)) throw error;
        debug('%s; falling back to record-output', error.message);
        outcome = await recorded();
      }
    }
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', kill);
    markStarted(false);
    await killing;
    await Promise.all([stdout.close(), stderr.close()]);
  }
  if (isAborted(options.signal)) {
    throw new AbortError(
      `Command \`${display}\` on ${name} was aborted; it was killed in the instance.`,
      { remote: host.remote.name, sent: 'yes', cause: options.signal?.reason },
    );
  }

  for (const [stream, sink] of [
    ['stdout', stdout],
    ['stderr', stderr],
  ] as const) {
    if (sink.overflowed) throw new OutputLimitError(stream, maxBuffer, display, name);
  }

  const text = options.encoding !== 'buffer';
  const strip = text && options.stripFinalNewline !== false;
  const shape = (bytes: Buffer) => (text ? decode(bytes, strip) : bytes);
  const okCodes = [0, ...(options.okExitCodes ?? [])];
  const result: RunResult = {
    host: name,
    command: display,
    argv,
    exitCode: outcome.exitCode,
    stdout: shape(stdout.kept()),
    stderr: shape(stderr.kept()),
    ok: !state.timedOut && okCodes.includes(outcome.exitCode),
    timedOut: state.timedOut,
    durationMs: performance.now() - started,
    operation: outcome.operation,
  };
  if (!result.ok && options.reject !== false) {
    throw new CommandFailedError(result, options.timeout);
  }
  return result;
}

/**
 * Says what a failure of the exchange means for the command: once the server
 * has started it, that it ran; before, when the request may have reached the
 * server (a broken connection, a gateway's 502/503/504), that it may have run.
 * Other failures (refused before anything was sent, an error the server
 * answered) mean it did not run, and are thrown as they are.
 */
function interrupted(
  error: unknown,
  operation: string | undefined,
  details: { host: string; command: string },
): unknown {
  if (!(error instanceof Error)) return error;
  if (operation !== undefined && error instanceof LxdApiError) {
    const exitCode = error instanceof OutputLostError ? error.exitCode : undefined;
    return new CommandInterruptedError({
      ...details,
      ran: 'yes',
      operation,
      ...(exitCode === undefined ? {} : { exitCode }),
      cause: error,
    });
  }
  const maybe =
    (error instanceof TransportError && error.sent !== 'no') ||
    (error instanceof ApiError && [502, 503, 504].includes(error.status));
  return maybe
    ? new CommandInterruptedError({ ...details, ran: 'maybe', cause: error })
    : error;
}

/** The environment variable that marks a command's processes. */
export const runMarker = 'LXD_API_RUN';

// Opens the input file as standard input, removes it at once, then runs the
// command, which keeps reading the removed file through its descriptor.
const stdinWrapper = 'exec 0<"$0" || exit 126; rm -f -- "$0"; exec "$@"';

async function identityOf(
  host: Host,
  options: RunOptions,
): Promise<{ uid?: number; gid?: number; env: Record<string, string> }> {
  if (options.user === undefined) {
    return options.group === undefined ? { env: {} } : { gid: options.group, env: {} };
  }
  const user =
    typeof options.user === 'number'
      ? await userById(host, options.user)
      : await lookupUser(host, options.user);
  const uid = typeof options.user === 'number' ? options.user : (user?.uid ?? 0);
  const gid = options.group ?? user?.gid ?? uid;
  // The server sets HOME only for root; a login shell would set both.
  const env = user === undefined ? {} : { HOME: user.home, USER: user.name };
  return { uid, gid, env };
}

function checkOptions(options: RunOptions): void {
  if (options.pty === true) {
    throw new CommandInputError(
      'A PTY is not supported: commands run with record-output, which has no ' +
        'terminal. Run interactive programs with `lxc exec` instead.',
    );
  }
  const { timeout } = options;
  if (timeout !== undefined && !(Number.isFinite(timeout) && timeout > 0)) {
    throw new CommandInputError(
      `timeout must be a positive number of milliseconds, not ${String(timeout)}.`,
    );
  }
  const { user } = options;
  if (typeof user === 'number' && !(Number.isInteger(user) && user >= 0)) {
    throw new CommandInputError(
      `user must be a uid (an integer ≥ 0) or a name, not ${user}.`,
    );
  }
  if (
    options.group !== undefined &&
    !(Number.isInteger(options.group) && options.group >= 0)
  ) {
    throw new CommandInputError(
      `group must be a gid (an integer ≥ 0), not ${options.group}.`,
    );
  }
  for (const [key, value] of Object.entries(options.env ?? {})) {
    // The value is never shown: environments carry secrets.
    if (key === '' || key.includes('=') || key.includes('\0')) {
      throw new CommandInputError(
        `env has the name ${JSON.stringify(key)}, which no environment variable can ` +
          'have (it is empty or holds `=` or a NUL byte); rename it.',
      );
    }
    if (typeof value !== 'string' || value.includes('\0')) {
      throw new CommandInputError(
        `env.${key} is not a string without NUL bytes; give it as text (its value ` +
          'is not shown here).',
      );
    }
  }
  if (options.maxBuffer !== undefined && !(options.maxBuffer >= 0)) {
    throw new CommandInputError(`maxBuffer must be ≥ 0 bytes, not ${options.maxBuffer}.`);
  }
}

// A signal can be aborted at any await; a call keeps TypeScript from assuming not.
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

function decode(bytes: Buffer, strip: boolean): string {
  const text = bytes.toString('utf8');
  return strip && text.endsWith('\n') ? text.slice(0, -1) : text;
}
