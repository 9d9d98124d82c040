import { randomBytes } from 'node:crypto';

import { execDetached, execLive, execRecorded, type ExecInput } from '../api/exec.js';
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
import { makeSink, OutputLimitError, type OutputTarget } from './output.js';
import { describeHost, lookupUser, userById } from './users.js';

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
}

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
  let argv = buildArgv(command, options);
  const identity = await identityOf(host, options);
  const environment: Record<string, string> = { ...identity.env, ...options.env };

  // A token in the environment marks the command and every child it starts, so
  // that a timeout can find them all from inside the instance and kill them.
  const token = randomBytes(12).toString('hex');
  if (options.timeout !== undefined || options.signal !== undefined) {
    environment[runMarker] = token;
  }

  let input: ExecInput | undefined;
  if (options.input !== undefined) {
    const path = `/tmp/.lxd-api-stdin-${token}`;
    input = {
      path,
      data: Buffer.from(options.input),
      uid: identity.uid ?? 0,
      gid: identity.gid ?? 0,
    };
    argv = ['sh', '-c', stdinWrapper, path, ...argv];
  }

  const maxBuffer = options.maxBuffer ?? defaultMaxBuffer;
  const stdout = makeSink(options.stdout ?? 'buffer', maxBuffer, options.onStdout);
  const stderr = makeSink(options.stderr ?? 'buffer', maxBuffer, options.onStderr);
  const live = options.onStdout !== undefined || options.onStderr !== undefined;

  const state = { timedOut: false };
  let killing: Promise<void> | undefined;
  const kill = () => {
    killing ??= killMarked(host, token);
  };
  const timer =
    options.timeout === undefined
      ? undefined
      : setTimeout(() => {
          state.timedOut = true;
          kill();
        }, options.timeout);
  options.signal?.addEventListener('abort', kill, { once: true });

  let outcome;
  let operation: string | undefined;
  try {
    const spec = {
      command: argv,
      environment,
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      ...(identity.uid === undefined ? {} : { user: identity.uid }),
      ...(identity.gid === undefined ? {} : { group: identity.gid }),
    };
    const io = {
      stdout: stdout.writable,
      stderr: stderr.writable,
      ...(input ? { input } : {}),
      // On a cluster, the operation names the member that runs the command.
      onStart: (id: string, location: string | undefined) => {
        operation = id;
        host.route?.observe(location);
      },
    };
    outcome = live
      ? await execLive(host.api, host.facts, host.name, spec, io, options.pollInterval)
      : await execRecorded(host.api, host.facts, host.name, spec, io);
  } catch (error) {
    if (isAborted(options.signal)) throw error;
    const failure = interrupted(error, operation, {
      host: name,
      command: describeCommand(command),
    });
    // A command that may not have started leaves its input file behind: remove
    // it. Should the command start after all, it finds no input and exits 126
    // without running.
    if (input !== undefined && failure instanceof CommandInterruptedError) {
      if (failure.ran === 'maybe') {
        await deleteFile(host.api, host.name, input.path).catch(() => undefined);
      }
    }
    throw failure;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', kill);
    await killing;
    await Promise.all([stdout.close(), stderr.close()]);
  }
  const display = describeCommand(command);
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

// Kills every process whose environment carries the token, a few rounds over, in
// case one forked while the previous round ran. environ is NUL-separated: -z reads
// it entry by entry (busybox and GNU grep both have it), -x matches a whole entry.
const killScript = `
marker="${runMarker}=$1"
for round in 1 2 3; do
  found=
  for dir in /proc/[0-9]*; do
    if grep -qszxF "$marker" "$dir/environ" 2>/dev/null; then
      kill -9 "\${dir#/proc/}" 2>/dev/null && found=1
    fi
  done
  [ -n "$found" ] || break
done
`;

async function killMarked(host: Host, token: string): Promise<void> {
  await execDetached(host.api, host.name, {
    command: ['sh', '-c', killScript, 'sh', token],
    environment: {},
  });
}

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
