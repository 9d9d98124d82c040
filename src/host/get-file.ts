import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, lstat, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import type { FileRead } from '../api/files.js';
import { AbortError } from '../transport/errors.js';
import { FileError, FileTypeError, LocalFileError } from './file-errors.js';
import { failedAt, type FileContext } from './file-failure.js';
import { fileContext, readFollowing } from './files.js';
import type { Host } from './host.js';
import { checkRemotePath } from './remote-path.js';

/** Where getFile writes: a local path, or a stream of the caller's, which stays open. */
export type FileDestination = string | Writable;

/** Options of `getFile`. */
export interface GetFileOptions {
  readonly signal?: AbortSignal;
}

/** The file that getFile read. */
export interface GetFileResult {
  /** The path read, symlinks followed. */
  readonly path: string;
  readonly type: 'file';
  readonly size: number;
  /** Permission bits; a local destination file gets them too. */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly modified: Date | undefined;
}

/**
 * Reads a file of the instance, following symlinks, streaming: memory stays flat
 * whatever the size. A local destination is written under a temporary name in its
 * folder and renamed into place at the end, so an interrupted download never
 * leaves a cut file there, and a symlink planted at the destination is replaced,
 * never followed.
 */
export async function getFile(
  host: Host,
  remotePath: string,
  destination: FileDestination,
  options: GetFileOptions = {},
): Promise<GetFileResult> {
  const context = fileContext(host, 'getFile', remotePath);
  const path = checkRemotePath(remotePath, context);
  const local = typeof destination === 'string' ? resolve(destination) : undefined;
  if (local !== undefined) await checkDestination(local, context);

  const followed = await readFollowing(host, path, context, options.signal);
  const { read } = followed;
  if (read.kind === 'listing') {
    throw new FileTypeError(
      `${failedAt(context)}: \`${followed.path}\` is a directory, not a file. ` +
        'Fetch a directory with getTree.',
      { ...context, expected: 'file', actual: 'directory' },
    );
  }
  const counter = counting();
  try {
    if (local === undefined) {
      await pipeline(read.body, counter, destination as Writable, { end: false });
    } else {
      await saveLocal(read, local, context, counter);
    }
  } catch (error) {
    read.body.destroy();
    if (error instanceof FileError) throw error;
    if (options.signal?.aborted === true) {
      throw new AbortError(
        `${failedAt(context)}: aborted after ${counter.bytes} bytes.`,
        { remote: host.remote.name, sent: 'yes', cause: options.signal.reason },
      );
    }
    throw cut(context, host.api.transport.bodyFailure(error, `GET ${followed.path}`));
  }
  checkComplete(read, counter, context);
  const { meta } = read;
  return {
    path: followed.path,
    type: 'file',
    size: counter.bytes,
    mode: meta.mode,
    uid: meta.uid,
    gid: meta.gid,
    modified: meta.modified,
  };
}

/**
 * Writes a file's bytes to a local path: under a temporary name in its folder,
 * then renamed into place, with the remote file's permission bits. Returns the
 * bytes written.
 */
export async function saveLocal(
  read: Extract<FileRead, { kind: 'content' }>,
  local: string,
  context: FileContext,
  counter = counting(),
): Promise<number> {
  // O_EXCL on a fresh random name: a symlink planted there fails the open.
  const temp = join(
    dirname(local),
    `.${basename(local).slice(0, 100)}.lxd-api-${randomBytes(6).toString('hex')}.part`,
  );
  const sink = createWriteStream(temp, { flags: 'wx', mode: 0o600, flush: true });
  let renamed = false;
  try {
    await pipeline(read.body, counter, sink).catch((error: unknown) => {
      // A local write that failed (a full disk, say) is the local side's fault.
      if (!(error instanceof Error && 'syscall' in error)) throw error;
      throw localFailure(context, local, error, 'cannot be written');
    });
    checkComplete(read, counter, context);
    await chmod(temp, read.meta.mode & 0o777);
    await rename(temp, local).catch((error: unknown) => {
      throw localFailure(context, local, error, 'cannot be replaced');
    });
    renamed = true;
  } finally {
    if (!renamed) await unlink(temp).catch(() => undefined);
  }
  return counter.bytes;
}

// Fails early, before anything is downloaded, where the destination cannot work.
async function checkDestination(local: string, context: FileContext): Promise<void> {
  const folder = await lstat(dirname(local)).catch((error: unknown) => {
    throw localFailure(context, dirname(local), error, 'cannot be used');
  });
  if (!folder.isDirectory()) {
    throw localFailure(context, dirname(local), { code: 'ENOTDIR' }, 'is not a folder');
  }
  const there = await lstat(local).catch(() => undefined);
  if (there?.isDirectory() === true) {
    throw new LocalFileError(
      `${failedAt(context)}: the local destination ` +
        `\`${local}\` is a folder. Name the file to write inside it.`,
      { ...context, localPath: local, reason: 'EISDIR' },
    );
  }
}

function localFailure(
  context: FileContext,
  local: string,
  error: unknown,
  what: string,
): LocalFileError {
  const reason = (error as { code?: string }).code ?? 'EIO';
  const fix =
    reason === 'ENOENT'
      ? 'Create the folder first.'
      : 'Check the folder and its permissions.';
  return new LocalFileError(
    `${failedAt(context)}: the local path ` + `\`${local}\` ${what} (${reason}). ${fix}`,
    { ...context, localPath: local, reason, cause: error },
  );
}

function checkComplete(
  read: Extract<FileRead, { kind: 'content' }>,
  counter: { bytes: number },
  context: FileContext,
): void {
  const expected = read.meta.size;
  if (expected !== undefined && counter.bytes !== expected) {
    throw cut(context, new Error(`${counter.bytes} of ${expected} bytes arrived`));
  }
}

function cut(context: FileContext, cause: unknown): FileError {
  const said = cause instanceof Error ? cause.message : String(cause);
  return new FileError(
    `${failedAt(context)}: the download broke off ` +
      `(${said}). Nothing was left at a local destination; try again.`,
    { ...context, cause },
  );
}

function counting(): Transform & { bytes: number } {
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      counter.bytes += chunk.length;
      done(null, chunk);
    },
  }) as Transform & { bytes: number };
  counter.bytes = 0;
  return counter;
}
