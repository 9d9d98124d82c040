import { LxdApiError } from '../errors.js';

/** The server answered with an error: its status code and its own message. */
export class ApiError extends LxdApiError {
  readonly remote: string;
  /** `METHOD /path` of the request. */
  readonly request: string;
  readonly status: number;
  /** The server's own error message. */
  readonly serverMessage: string;

  constructor(
    message: string,
    details: {
      remote: string;
      request: string;
      status: number;
      serverMessage: string;
      code?: string;
    },
  ) {
    super(details.code ?? 'LXDAPI_API', message);
    this.remote = details.remote;
    this.request = details.request;
    this.status = details.status;
    this.serverMessage = details.serverMessage;
  }
}

/** The thing a request names (an instance, a file, an operation) does not exist. */
export class NotFoundError extends ApiError {
  constructor(
    message: string,
    details: { remote: string; request: string; status: number; serverMessage: string },
  ) {
    super(message, { ...details, code: 'LXDAPI_NOT_FOUND' });
  }
}

/** The server does not trust our client certificate. */
export class AuthenticationError extends LxdApiError {
  readonly remote: string;

  constructor(message: string, details: { remote: string }) {
    super('LXDAPI_UNTRUSTED', message);
    this.remote = details.remote;
  }
}

/** The server lacks something this library needs, such as an API extension. */
export class UnsupportedServerError extends LxdApiError {
  readonly remote: string;
  readonly missing: string;

  constructor(message: string, details: { remote: string; missing: string }) {
    super('LXDAPI_UNSUPPORTED_SERVER', message);
    this.remote = details.remote;
    this.missing = details.missing;
  }
}

/**
 * A command started in the instance, but its exit code or its output could not be
 * fully read: the connection kept failing, or the output files were gone.
 */
export class OutputLostError extends LxdApiError {
  readonly remote: string;
  readonly instance: string;
  /** The server's operation id of the command. */
  readonly operation: string;
  /** The command's exit code, when it was learned. */
  readonly exitCode: number | undefined;

  constructor(
    message: string,
    details: {
      remote: string;
      instance: string;
      operation: string;
      exitCode?: number;
      cause?: unknown;
    },
  ) {
    super('LXDAPI_OUTPUT_LOST', message, { cause: details.cause });
    this.remote = details.remote;
    this.instance = details.instance;
    this.operation = details.operation;
    this.exitCode = details.exitCode;
  }
}
