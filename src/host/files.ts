// The small file calls of a host: stat, readDir, mkdir, symlink, remove. Each checks
// its path, speaks to the files API, and turns its refusals into typed errors.
import { posix } from 'node:path';

import {
  deleteFile,
  readFile,
  statFile,
  writeFile,
  type FileMeta,
  type FileRead,
  type FileType,
} from '../api/files.js';
import { applyAttributes } from './file-attributes.js';
import {
  DirectoryNotEmptyError,
  FileError,
  FileTypeError,
  RemoteNotFoundError,
  RemotePathError,
  type FileOperation,
} from './file-errors.js';
import { failedAt, fileFailure, type FileContext } from './file-failure.js';
import type { Host } from './host.js';
import { checkMode, resolveOwner, type OwnerId } from './owners.js';
import { checkRemotePath, pathLevels } from './remote-path.js';
import { describeHost } from './users.js';

/** What a path in the instance is. */
export interface FileStat {
  /** The path, normalized. */
  readonly path: string;
  readonly type: FileType;
  /** Permission bits. Note: the server reports no setuid, setgid or sticky bit. */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Bytes of a file, length of a symlink's target; undefined for a directory. */
  readonly size: number | undefined;
  readonly modified: Date | undefined;
  /**
   * A symlink's target. Note: the server gives it made absolute and normalized
   * against the link's directory (`../etc/x` in /tmp reads `/etc/x`), never the
   * link's own text.
   */
  readonly target?: string;
}

/** Options of `mkdir`. */
export interface MkdirOptions {
  /** Create missing parents too, level by level (0755, root), as `mkdir -p`. */
  readonly parents?: boolean;
  /** The directory's mode; 0o755 by default, whichever server this is. */
  readonly mode?: number;
  readonly uid?: OwnerId;
  readonly gid?: OwnerId;
}

/** Options of `remove`. */
export interface RemoveOptions {
  /** Remove a directory with everything in it (`rm -rf` in the instance). */
  readonly recursive?: boolean;
  /** Succeed when the path does not exist. */
  readonly force?: boolean;
}

/** Options of `symlink`. */
export interface SymlinkOptions {
  readonly createParents?: boolean;
}

/** Looks up a path without following a symlink: its type, mode, owner and size. */
export async function stat(host: Host, remotePath: string): Promise<FileStat> {
  const context = fileContext(host, 'stat', remotePath);
  const path = checkRemotePath(remotePath, context);
  try {
    const meta = await statFile(host.api, host.name, path);
    if (meta.type !== 'symlink') return toStat(path, meta);
    const read = await readFile(host.api, host.name, path);
    const target = read.kind === 'content' ? await read.body.text() : '';
    return { ...toStat(path, meta), size: Buffer.byteLength(target), target };
  } catch (error) {
    throw fileFailure(error, context);
  }
}

/** Lists a directory's entry names, sorted; a symlink to a directory is followed. */
export async function readDir(host: Host, remotePath: string): Promise<string[]> {
  const context = fileContext(host, 'readDir', remotePath);
  const path = checkRemotePath(remotePath, context);
  const { read } = await readFollowing(host, path, context);
  if (read.kind === 'content') {
    await read.body.dump({ limit: 1 << 20 });
    throw notDirectory(context, path, 'file');
  }
  return read.entries.sort();
}

/**
 * Creates a directory. The mode and owner asked for are what it ends up with,
 * also when it existed already; a file in its place is an error.
 */
export async function mkdir(
  host: Host,
  remotePath: string,
  options: MkdirOptions = {},
): Promise<void> {
  const context = fileContext(host, 'mkdir', remotePath);
  const path = checkRemotePath(remotePath, context);
  checkMode(options.mode, context);
  const owner = await resolveOwner(host, options, context);
  const asked = {
    ...(options.mode === undefined ? {} : { mode: options.mode }),
    ...owner,
  };
  const levels = options.parents === true ? pathLevels(posix.dirname(path)) : [];
  const meta = await createDirectories(host, [...levels, path], asked, context);
  if (meta.type === 'file') throw notDirectory(context, path, 'file');
  // A symlink to a directory does as well, as for `mkdir -p`; it keeps its own.
  if (meta.type === 'directory') await applyAttributes(host, path, asked, meta, context);
}

/** Creates a symlink at `remotePath` pointing to `target`, as `ln -s` would. */
export async function symlink(
  host: Host,
  target: string,
  remotePath: string,
  options: SymlinkOptions = {},
): Promise<void> {
  const context = fileContext(host, 'symlink', remotePath);
  const path = checkRemotePath(remotePath, context);
  if (typeof target !== 'string' || target === '' || target.includes('\0')) {
    throw new RemotePathError(
      `Symlink target ${JSON.stringify(target)} for \`${path}\` on ${context.host} is ` +
        'empty or holds a NUL byte; give the path the link should point to.',
      context,
    );
  }
  if (options.createParents === true) {
    await createDirectories(host, pathLevels(posix.dirname(path)), {}, context);
  }
  const { api, facts, name } = host;
  try {
    await writeFile(api, facts, name, path, Buffer.from(target), { type: 'symlink' });
  } catch (error) {
    throw fileFailure(error, context);
  }
}

/** Removes a file, a symlink (not what it points to) or a directory. */
export async function remove(
  host: Host,
  remotePath: string,
  options: RemoveOptions = {},
): Promise<void> {
  const context = fileContext(host, 'remove', remotePath);
  const path = checkRemotePath(remotePath, context);
  if (path === '/') {
    throw new RemotePathError(
      `Removing \`/\` on ${context.host} is refused; name what is inside it instead.`,
      context,
    );
  }
  try {
    await deleteFile(host.api, host.name, path);
  } catch (error) {
    const failure = fileFailure(error, context);
    if (failure instanceof RemoteNotFoundError && options.force === true) return;
    if (!(failure instanceof DirectoryNotEmptyError) || options.recursive !== true) {
      throw failure;
    }
    try {
      await host.run(['rm', '-rf', path]);
    } catch (failed) {
      throw fileFailure(failed, context);
    }
  }
}

/** The context a file call's errors carry. */
export function fileContext(
  host: Host,
  operation: FileOperation,
  path: unknown,
): FileContext {
  return { host: describeHost(host), operation, path: String(path) };
}

/**
 * Creates directories in order, pipelined on one socket, each one a no-op where it
 * exists; then looks up the last one, still in the same round trip. Parents get
 * 0755 and root; the last one gets `want` when it is new.
 */
export async function createDirectories(
  host: Host,
  paths: readonly string[],
  want: { mode?: number; uid?: number; gid?: number },
  context: FileContext,
): Promise<FileMeta> {
  const { api, facts, name } = host;
  const last = paths.at(-1) ?? '/';
  return api.transport.withConnection(
    async (via) => {
      const made = paths.map((path) => {
        const mode = path === last ? (want.mode ?? 0o755) & 0o777 : 0o755;
        const owner = path === last ? { ...want, mode } : { mode };
        const file = { type: 'directory', ...owner } as const;
        return writeFile(api, facts, name, path, Buffer.alloc(0), file, { via });
      });
      const looked = statFile(api, name, last, { via });
      const results = await Promise.allSettled([...made, looked]);
      const failed = results.findIndex((result) => result.status === 'rejected');
      const failure = results[failed];
      if (failure?.status === 'rejected') {
        throw fileFailure(failure.reason, context, paths[failed] ?? last);
      }
      return looked;
    },
    { idempotent: true },
  );
}

/**
 * Reads a path, following symlinks (the server answers a link with its target) up
 * to 40 of them, as the kernel would.
 */
export async function readFollowing(
  host: Host,
  path: string,
  context: FileContext,
  signal?: AbortSignal,
): Promise<{ path: string; read: FileRead }> {
  let current = path;
  for (let hop = 0; hop <= maxLinks; hop += 1) {
    let read: FileRead;
    try {
      read = await readFile(host.api, host.name, current, signal ? { signal } : {});
    } catch (error) {
      throw fileFailure(error, context, current);
    }
    if (read.kind === 'listing' || read.meta.type !== 'symlink') {
      return { path: current, read };
    }
    const target = await read.body.text();
    current = posix.resolve(posix.dirname(current), target);
  }
  throw new FileError(
    `${failedAt(context)}: more than ${maxLinks} symlinks in a row. Look for a loop ` +
      'with stat.',
    context,
  );
}

const maxLinks = 40;

function toStat(path: string, meta: FileMeta): FileStat {
  const { type, mode, uid, gid, size, modified } = meta;
  return { path, type, mode, uid, gid, size, modified };
}

function notDirectory(
  context: FileContext,
  path: string,
  actual: 'file' | 'symlink',
): FileTypeError {
  return new FileTypeError(
    `${failedAt(context)}: \`${path}\` is a ${actual}, not a directory. Give a ` +
      "directory's path.",
    { ...context, expected: 'directory', actual },
  );
}
