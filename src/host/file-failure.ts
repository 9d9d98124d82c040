import { posix } from 'node:path';

import { ApiError } from '../api/errors.js';
import { CommandFailedError } from './errors.js';
import {
  DirectoryNotEmptyError,
  FileError,
  FileExistsError,
  FilePermissionError,
  FileTypeError,
  NoSpaceError,
  RemoteNotFoundError,
  type FileOperation,
} from './file-errors.js';

/** What a file call is doing, as its errors will tell it. */
export interface FileContext {
  /** `remote:instance`. */
  readonly host: string;
  readonly operation: FileOperation;
  /** The path in the instance, as the caller gave it. */
  readonly path: string;
}

/**
 * Turns a refusal of the files API, or a failed command on a file, into the typed
 * file error it stands for; other errors (the transport's) are returned as they are.
 * `target` is the path the failing request was about, when not the caller's own.
 */
export function fileFailure(
  error: unknown,
  context: FileContext,
  target = context.path,
): unknown {
  if (error instanceof FileError) return error;
  let said: string;
  let status = 0;
  if (error instanceof ApiError) {
    said = error.serverMessage;
    status = error.status;
    // An instance that went away is not a missing file: keep the API's error.
    if (status === 404 && /instance/i.test(said)) return error;
  } else if (error instanceof CommandFailedError) {
    said = String(error.stderr).trim() || `exit code ${error.exitCode}`;
  } else {
    return error;
  }

  const details = { ...context, cause: error };
  const start = failedAt(context);
  const at = target === context.path ? '' : ` at \`${target}\``;

  if (status === 404) {
    const writes = writing.has(context.operation);
    const missing = writes ? posix.dirname(target) : target;
    const option = context.operation === 'mkdir' ? 'parents' : 'createParents';
    const fix = writes
      ? `Create it first, or pass ${option}: true.`
      : 'List its directory with readDir to see what is there.';
    const what = writes ? `the parent directory \`${missing}\`` : `\`${missing}\``;
    return new RemoteNotFoundError(`${start}: ${what} does not exist. ${fix}`, {
      ...details,
      missing,
    });
  }
  if (status === 403 || /permission denied|not permitted|read-only file/i.test(said)) {
    return new FilePermissionError(
      `${start}: the instance refused access${at} (${said || 'forbidden'}). Pick a ` +
        'path it lets root write (not under /proc or /sys), or make it writable.',
      details,
    );
  }
  if (/no space left|quota exceeded/i.test(said)) {
    return new NoSpaceError(
      `${start}: the file system is full${at} (${said}). Free space in the ` +
        'instance, or grow its disk.',
      details,
    );
  }
  if (/is a directory/i.test(said)) {
    return new FileTypeError(
      `${start}: \`${target}\` is a directory, not a file. Name a file, or use ` +
        'putTree / getTree for a directory.',
      { ...details, expected: 'file', actual: 'directory' },
    );
  }
  if (/not a directory/i.test(said)) {
    return new FileTypeError(
      `${start}: a component of \`${target}\` is not a directory. Check the ` +
        'directories on the way with stat.',
      { ...details, expected: 'directory', actual: undefined },
    );
  }
  if (/file exists/i.test(said)) {
    return new FileExistsError(
      `${start}: something already exists${at}. Remove it first with remove().`,
      details,
    );
  }
  if (/directory not empty/i.test(said)) {
    return new DirectoryNotEmptyError(
      `${start}: the directory${at} is not empty. Pass recursive: true to remove it ` +
        'with everything in it.',
      details,
    );
  }
  return new FileError(`${start}${at}: ${said || `status ${status}`}.`, details);
}

/** The start of a file error's message: `Writing \`/etc/x\` on lxd:web-1 failed`. */
export function failedAt(context: FileContext): string {
  return `${verbs[context.operation]} \`${context.path}\` on ${context.host} failed`;
}

const verbs: Record<FileOperation, string> = {
  putFile: 'Writing',
  getFile: 'Reading',
  stat: 'Looking up',
  remove: 'Removing',
  mkdir: 'Creating the directory',
  symlink: 'Creating the symlink',
  readDir: 'Listing',
  putTree: 'Sending a tree to',
  getTree: 'Fetching the tree',
};

const writing = new Set<FileOperation>(['putFile', 'mkdir', 'symlink', 'putTree']);
