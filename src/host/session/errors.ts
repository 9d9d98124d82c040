import { LxdApiError } from '../../errors.js';

/**
 * Whether a command may have run: `no` means it provably never reached the
 * session's shell, `maybe` that it was sent but never confirmed, `yes` that the
 * shell had started it.
 */
export type Ran = 'no' | 'maybe' | 'yes';

/** A session broke while a command was in it; the session has been discarded. */
export class SessionBrokenError extends LxdApiError {
  readonly host: string;
  readonly command: string;
  readonly ran: Ran;
  /** What broke: the sockets closed, or the end marker never came. */
  readonly reason: string;

  constructor(details: {
    host: string;
    command: string;
    ran: Ran;
    reason: string;
    cause?: unknown;
  }) {
    const fate = {
      no: 'it never reached the instance',
      maybe: 'it may have run',
      yes: 'it was running',
    }[details.ran];
    super(
      'LXDAPI_SESSION_BROKEN',
      `The session on ${details.host} broke while running \`${details.command}\` ` +
        `(${details.reason}); ${fate}. The session was discarded: the next command ` +
        'opens a new one. Check what the command does before running it again.',
      { cause: details.cause },
    );
    this.host = details.host;
    this.command = details.command;
    this.ran = details.ran;
    this.reason = details.reason;
  }
}

/** A session's WebSockets could not be opened: session mode cannot work here. */
export class SessionUnavailableError extends LxdApiError {
  readonly host: string;

  constructor(host: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      'LXDAPI_SESSION_UNAVAILABLE',
      `Cannot open a session on ${host}: its exec WebSockets could not be opened ` +
        `(${reason}). A proxy in between may not pass WebSocket upgrades. Run with ` +
        "`mode: 'record'`, or allow `fallback: true` to use record-output when " +
        'sessions cannot be opened. Nothing was run.',
      { cause },
    );
    this.host = host;
  }
}
