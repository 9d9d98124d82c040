import { LxdApiError } from '../errors.js';

/** A trust token that cannot be decoded: mistyped, cut short, or not a token. */
export class InvalidTokenError extends LxdApiError {
  /** What is wrong with it. */
  readonly problem: string;

  constructor(message: string, details: { problem: string }) {
    super('LXDAPI_TOKEN_INVALID', message);
    this.problem = details.problem;
  }
}

/** A trust token past its expiry date, by its own date or by the server's word. */
export class ExpiredTokenError extends LxdApiError {
  /** The name the token was made for (`lxc config trust add --name`). */
  readonly clientName: string;
  /** When it expired, ISO 8601; undefined when only the server said so. */
  readonly expiresAt: string | undefined;

  constructor(message: string, details: { clientName: string; expiresAt?: string }) {
    super('LXDAPI_TOKEN_EXPIRED', message);
    this.clientName = details.clientName;
    this.expiresAt = details.expiresAt;
  }
}

/** The server knows no pending token with this secret: used, revoked or not its own. */
export class RejectedTokenError extends LxdApiError {
  readonly clientName: string;
  /** The address the token was sent to. */
  readonly address: string;
  readonly serverMessage: string;

  constructor(
    message: string,
    details: {
      clientName: string;
      address: string;
      serverMessage: string;
      cause?: unknown;
    },
  ) {
    super('LXDAPI_TOKEN_REJECTED', message, { cause: details.cause });
    this.clientName = details.clientName;
    this.address = details.address;
    this.serverMessage = details.serverMessage;
  }
}

/**
 * The server presented another certificate than the one the token (or
 * `--accept-certificate`) names: nothing was sent to it.
 */
export class FingerprintMismatchError extends LxdApiError {
  readonly remote: string;
  /** The address that presented it, `https://host:port`. */
  readonly address: string;
  /** The SHA-256 fingerprint that was expected. */
  readonly expected: string;
  /** The SHA-256 fingerprint of the certificate presented. */
  readonly actual: string;
  /** Who named the expected one. */
  readonly expectedFrom: 'token' | 'accept-certificate';

  constructor(
    message: string,
    details: {
      remote: string;
      address: string;
      expected: string;
      actual: string;
      expectedFrom: 'token' | 'accept-certificate';
    },
  ) {
    super('LXDAPI_FINGERPRINT_MISMATCH', message);
    this.remote = details.remote;
    this.address = details.address;
    this.expected = details.expected;
    this.actual = details.actual;
    this.expectedFrom = details.expectedFrom;
  }
}

/** A server certificate no CA vouches for, and that nobody asked to pin. */
export class UnknownCertificateError extends LxdApiError {
  readonly remote: string;
  readonly address: string;
  /** The SHA-256 fingerprint of the certificate presented, to check and pin. */
  readonly fingerprint: string;
  /** Why the CAs refuse it. */
  readonly reason: string;

  constructor(
    message: string,
    details: { remote: string; address: string; fingerprint: string; reason: string },
  ) {
    super('LXDAPI_CERTIFICATE_UNKNOWN', message);
    this.remote = details.remote;
    this.address = details.address;
    this.fingerprint = details.fingerprint;
    this.reason = details.reason;
  }
}

/** One address that was tried and could not be reached. */
export interface FailedAttempt {
  /** `https://host:port`. */
  readonly address: string;
  /** The socket's error code (`ECONNREFUSED`, `ETIMEDOUT`, …), when it has one. */
  readonly code: string | undefined;
  readonly reason: string;
}

/** None of the server's addresses answered with a TLS handshake. */
export class UnreachableError extends LxdApiError {
  readonly remote: string;
  /** Every address tried, in order, and why each failed. */
  readonly attempts: readonly FailedAttempt[];

  constructor(message: string, details: { remote: string; attempts: FailedAttempt[] }) {
    super('LXDAPI_UNREACHABLE', message);
    this.remote = details.remote;
    this.attempts = details.attempts;
  }
}

/** The project asked for does not exist, or none can be chosen without asking. */
export class ProjectChoiceError extends LxdApiError {
  readonly remote: string;
  /** The project asked for; undefined when none was and the choice is open. */
  readonly project: string | undefined;
  /** The projects this client may use on the server. */
  readonly available: readonly string[];

  constructor(
    message: string,
    details: { remote: string; project?: string; available: string[] },
  ) {
    super('LXDAPI_PROJECT', message);
    this.remote = details.remote;
    this.project = details.project;
    this.available = details.available;
  }
}
