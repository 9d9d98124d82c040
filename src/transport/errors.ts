import { LxdApiError } from '../errors.js';

/**
 * How far a request got before it failed: `no` means it provably never reached the
 * server, `maybe` that it may have, `yes` that the server answered it.
 */
export type Sent = 'no' | 'maybe' | 'yes';

/** Which request an error is about: the remote and the method and path. */
export interface RequestContext {
  readonly remote: string;
  readonly method: string;
  readonly path: string;
}

/** The base of the transport's errors: each names the remote and the request. */
export class TransportError extends LxdApiError {
  readonly remote: string;
  /** `METHOD /path` of the request that failed, once it is known. */
  request: string | undefined;
  readonly sent: Sent;

  constructor(
    code: string,
    message: string,
    details: { context?: RequestContext; remote: string; sent: Sent; cause?: unknown },
  ) {
    super(code, message, { cause: details.cause });
    this.remote = details.remote;
    this.request = details.context && `${details.context.method} ${details.context.path}`;
    this.sent = details.sent;
  }
}

/** The connection to a remote could not be made, or broke while a request was on it. */
export class ConnectionError extends TransportError {
  constructor(
    message: string,
    details: { context?: RequestContext; remote: string; sent: Sent; cause?: unknown },
  ) {
    super('LXDAPI_CONNECTION', message, details);
  }
}

/** The server presented a certificate that the remote's trust settings refuse. */
export class CertificateError extends TransportError {
  /** SHA-256 fingerprint of the pinned certificate, when one is pinned. */
  readonly expected: string | undefined;
  /** SHA-256 fingerprint of the certificate the server presented. */
  readonly actual: string | undefined;

  constructor(
    message: string,
    details: { remote: string; expected?: string; actual?: string; cause?: unknown },
  ) {
    super('LXDAPI_CERTIFICATE', message, { ...details, sent: 'no' });
    this.expected = details.expected;
    this.actual = details.actual;
  }
}

/** A request, or the connection for it, took longer than its timeout. */
export class TimeoutError extends TransportError {
  /** The stage that ran out of time. */
  readonly stage: 'connect' | 'headers' | 'body';
  readonly timeout: number;

  constructor(
    message: string,
    details: {
      context?: RequestContext;
      remote: string;
      sent: Sent;
      stage: 'connect' | 'headers' | 'body';
      timeout: number;
      cause?: unknown;
    },
  ) {
    super('LXDAPI_TIMEOUT', message, details);
    this.stage = details.stage;
    this.timeout = details.timeout;
  }
}

/** The caller's AbortSignal cancelled the request. */
export class AbortError extends TransportError {
  constructor(
    message: string,
    details: { context?: RequestContext; remote: string; sent: Sent; cause?: unknown },
  ) {
    super('LXDAPI_ABORTED', message, details);
  }
}
