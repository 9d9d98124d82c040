/** The base of every error this library throws: a stable `code` and a message a user can act on. */
export class LxdApiError extends Error {
  /** Stable identifier of the failure kind, safe to branch on. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Client configuration that cannot be used: a file, a field or a value is wrong. */
export class ConfigError extends LxdApiError {
  /** The file the problem is in, when there is one. */
  readonly file: string | undefined;
  /** The field of that file, as a dotted path (`remotes.prod.addr`). */
  readonly field: string | undefined;

  constructor(
    message: string,
    details: { file?: string; field?: string; cause?: unknown; code?: string } = {},
  ) {
    super(details.code ?? 'LXDAPI_CONFIG', message, { cause: details.cause });
    this.file = details.file;
    this.field = details.field;
  }
}

/** A remote cannot be added under a name the client config already gives another. */
export class RemoteExistsError extends ConfigError {
  /** The remote's name. */
  readonly remote: string;
  /** The address the existing remote has. */
  readonly addr: string | undefined;

  constructor(message: string, details: { file: string; remote: string; addr?: string }) {
    super(message, {
      file: details.file,
      field: `remotes.${details.remote}`,
      code: 'LXDAPI_REMOTE_EXISTS',
    });
    this.remote = details.remote;
    this.addr = details.addr;
  }
}

/** A host spec that cannot be parsed or resolved to a remote and an instance. */
export class HostSpecError extends LxdApiError {
  /** The host spec as the caller gave it. */
  readonly spec: string;

  constructor(spec: string, message: string) {
    super('LXDAPI_HOST_SPEC', message);
    this.spec = spec;
  }
}
