import { LxdApiError } from '../errors.js';

/** The instance exists but is not in a state that lets us work with it. */
export class InstanceStateError extends LxdApiError {
  readonly remote: string;
  readonly project: string;
  readonly instance: string;
  /** The instance's status as the server reports it, such as `Stopped`. */
  readonly status: string;

  constructor(
    message: string,
    details: { remote: string; project: string; instance: string; status: string },
  ) {
    super('LXDAPI_INSTANCE_NOT_RUNNING', message);
    this.remote = details.remote;
    this.project = details.project;
    this.instance = details.instance;
    this.status = details.status;
  }
}

/** A command ended with an exit code that does not count as success, or timed out. */
export class CommandFailedError extends LxdApiError {
  readonly host: string;
  readonly command: string;
  readonly exitCode: number;
  readonly stdout: string | Buffer;
  readonly stderr: string | Buffer;
  readonly timedOut: boolean;
  readonly durationMs: number;
  /** The whole result, as `run` would have resolved it. */
  readonly result: RunResultLike;

  constructor(result: RunResultLike, timeout?: number) {
    const why = result.timedOut
      ? `timed out after ${timeout ?? '?'} ms and was killed`
      : `failed with exit code ${result.exitCode}`;
    const detail = firstLine(result.stderr);
    super(
      result.timedOut ? 'LXDAPI_COMMAND_TIMEOUT' : 'LXDAPI_COMMAND_FAILED',
      `Command \`${result.command}\` on ${result.host} ${why}${detail ? `: ${detail}` : '.'}`,
    );
    this.host = result.host;
    this.command = result.command;
    this.exitCode = result.exitCode;
    this.stdout = result.stdout;
    this.stderr = result.stderr;
    this.timedOut = result.timedOut;
    this.durationMs = result.durationMs;
    this.result = result;
  }
}

/** The fields of a run result that errors carry. */
export interface RunResultLike {
  readonly host: string;
  readonly command: string;
  readonly exitCode: number;
  readonly stdout: string | Buffer;
  readonly stderr: string | Buffer;
  readonly timedOut: boolean;
  readonly durationMs: number;
}

function firstLine(stderr: string | Buffer): string {
  const text = stderr.toString().trim();
  const line = text.split('\n')[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

/**
 * The exchange of a command with the server broke, and was not tried again where
 * that could run the command twice. `ran` says what is known: `maybe` (the exec
 * request may have reached the server, so the command may or may not have run)
 * or `yes` (the server started it; its exit code or output could not be read).
 */
export class CommandInterruptedError extends LxdApiError {
  readonly host: string;
  readonly command: string;
  readonly ran: 'maybe' | 'yes';
  /** The server's operation id, when the command started. */
  readonly operation: string | undefined;
  /** The exit code, when the command ended and it was learned. */
  readonly exitCode: number | undefined;

  constructor(details: {
    host: string;
    command: string;
    ran: 'maybe' | 'yes';
    operation?: string;
    exitCode?: number;
    cause: Error;
  }) {
    const what =
      details.ran === 'maybe'
        ? 'may or may not have run: the request to start it may have reached the ' +
          'server before the connection failed. It was not sent again, so that it ' +
          'cannot run twice; check the instance before you run it again'
        : `started (operation ${details.operation ?? '?'}` +
          (details.exitCode === undefined ? '' : `, exit code ${details.exitCode}`) +
          ') once, but its result could not be read in full';
    super(
      'LXDAPI_COMMAND_INTERRUPTED',
      `Command \`${details.command}\` on ${details.host} ${what}. Cause: ${details.cause.message}`,
      { cause: details.cause },
    );
    this.host = details.host;
    this.command = details.command;
    this.ran = details.ran;
    this.operation = details.operation;
    this.exitCode = details.exitCode;
  }
}
