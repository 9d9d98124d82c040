import { LxdApiError } from '../errors.js';

/** The file calls of a host, as errors name them. */
export type FileOperation =
  | 'putFile'
  | 'getFile'
  | 'stat'
  | 'remove'
  | 'mkdir'
  | 'symlink'
  | 'readDir'
  | 'putTree'
  | 'getTree';

/** Where a file error happened: the host, the call, and the path in the instance. */
export interface FileErrorDetails {
  /** `remote:instance`. */
  readonly host: string;
  readonly operation: FileOperation;
  /** The path in the instance, as the caller gave it. */
  readonly path: string;
  readonly cause?: unknown;
}

/**
 * The base of the file errors, and itself the error for a failure of the files API
 * that has no kind of its own (code `LXDAPI_FILE`).
 */
export class FileError extends LxdApiError {
  readonly host: string;
  readonly operation: FileOperation;
  readonly path: string;

  constructor(message: string, details: FileErrorDetails, code = 'LXDAPI_FILE') {
    super(code, message, { cause: details.cause });
    this.host = details.host;
    this.operation = details.operation;
    this.path = details.path;
  }
}

/** A remote path that cannot be used: empty, relative, or holding a NUL byte. */
export class RemotePathError extends FileError {
  constructor(message: string, details: FileErrorDetails) {
    super(message, details, 'LXDAPI_REMOTE_PATH');
  }
}

/** An option of a file call with a value it cannot take, such as mode 0o10000. */
export class FileOptionError extends FileError {
  readonly option: string;

  constructor(message: string, details: FileErrorDetails & { option: string }) {
    super(message, details, 'LXDAPI_FILE_OPTION');
    this.option = details.option;
  }
}

/** A path in the instance, or the parent directory a write needs, does not exist. */
export class RemoteNotFoundError extends FileError {
  /** The path that is missing: `path` itself, or its parent directory. */
  readonly missing: string;

  constructor(message: string, details: FileErrorDetails & { missing: string }) {
    super(message, details, 'LXDAPI_FILE_NOT_FOUND');
    this.missing = details.missing;
  }
}

/** A directory where a file was expected, a file where a directory was, and so on. */
export class FileTypeError extends FileError {
  readonly expected: 'file' | 'directory';
  /** What is there, when known; `undefined` when a path on the way is at fault. */
  readonly actual: 'file' | 'directory' | 'symlink' | undefined;

  constructor(
    message: string,
    details: FileErrorDetails & {
      expected: 'file' | 'directory';
      actual: 'file' | 'directory' | 'symlink' | undefined;
    },
  ) {
    super(message, details, 'LXDAPI_FILE_TYPE');
    this.expected = details.expected;
    this.actual = details.actual;
  }
}

/** The instance refused: no permission, a read-only file system, a protected path. */
export class FilePermissionError extends FileError {
  constructor(message: string, details: FileErrorDetails) {
    super(message, details, 'LXDAPI_FILE_PERMISSION');
  }
}

/** The file system in the instance is full. */
export class NoSpaceError extends FileError {
  constructor(message: string, details: FileErrorDetails) {
    super(message, details, 'LXDAPI_NO_SPACE');
  }
}

/** Something is already at the path, where the call creates a new entry. */
export class FileExistsError extends FileError {
  constructor(message: string, details: FileErrorDetails) {
    super(message, details, 'LXDAPI_FILE_EXISTS');
  }
}

/** A directory to remove still has entries, and `recursive` was not asked for. */
export class DirectoryNotEmptyError extends FileError {
  constructor(message: string, details: FileErrorDetails) {
    super(message, details, 'LXDAPI_DIRECTORY_NOT_EMPTY');
  }
}

/** A local file or folder is missing, of the wrong kind, or cannot be used. */
export class LocalFileError extends FileError {
  readonly localPath: string;
  /** The system's error code, such as `ENOENT` or `EISDIR`. */
  readonly reason: string;

  constructor(
    message: string,
    details: FileErrorDetails & { localPath: string; reason: string },
  ) {
    super(message, details, 'LXDAPI_LOCAL_FILE');
    this.localPath = details.localPath;
    this.reason = details.reason;
  }
}

/**
 * An entry of a tree coming into a local folder would land outside it: `..` in its
 * path, an absolute path, or a link pointing out. Nothing of it was written.
 */
export class UnsafeTreeEntryError extends FileError {
  /** The entry's path in the archive. */
  readonly entry: string;
  /** The entry's link target, for a symlink or a hard link. */
  readonly linkTarget: string | undefined;
  /** The local folder the tree was going to. */
  readonly destination: string;
  readonly reason: string;

  constructor(
    message: string,
    details: FileErrorDetails & {
      entry: string;
      linkTarget: string | undefined;
      destination: string;
      reason: string;
    },
  ) {
    super(message, details, 'LXDAPI_UNSAFE_TREE_ENTRY');
    this.entry = details.entry;
    this.linkTarget = details.linkTarget;
    this.destination = details.destination;
    this.reason = details.reason;
  }
}

/** The stream given to putFile failed before its end; `bytes` of it were read. */
export class FileSourceError extends FileError {
  readonly bytes: number;

  constructor(message: string, details: FileErrorDetails & { bytes: number }) {
    super(message, details, 'LXDAPI_FILE_SOURCE');
    this.bytes = details.bytes;
  }
}
