import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';

import { NotFoundError } from '../api/errors.js';
import {
  deleteFile,
  readFile,
  statFile,
  type FileMeta,
  type FileWrite,
} from '../api/files.js';
import { applyAttributes, type Attributes } from './file-attributes.js';
import { FileError, FileTypeError } from './file-errors.js';
import { failedAt, fileFailure, type FileContext } from './file-failure.js';
import { openSource, type FileSource, type SourceBody } from './file-source.js';
import { createDirectories, fileContext } from './files.js';
import type { Host } from './host.js';
import { checkMode, resolveOwner, type OwnerId } from './owners.js';
import { checkRemotePath, pathLevels, tempSibling } from './remote-path.js';
import { upload } from './upload.js';

/** Options of `putFile`. */
export interface PutFileOptions {
  /** The file's mode, such as 0o640; setuid, setgid and sticky bits included. */
  readonly mode?: number;
  /** The owner: a uid, or a user name of the instance. */
  readonly uid?: OwnerId;
  /** The group: a gid, or a group name of the instance. */
  readonly gid?: OwnerId;
  /** Create missing parent directories, level by level (0755, root). */
  readonly createParents?: boolean;
  /**
   * Write to a temporary name beside the file, then rename it over the file:
   * readers see the old file or the new one, never a part of one.
   */
  readonly atomic?: boolean;
  /** Stops the upload; the old file is left as it was when `atomic` is set. */
  readonly signal?: AbortSignal;
}

/** What `putFile` wrote. */
export interface PutFileResult {
  /** The path written, symlinks followed when `atomic` is set. */
  readonly path: string;
  readonly bytes: number;
}

/**
 * Writes a file in the instance, streaming: memory stays flat whatever the size.
 *
 * The mode and owner asked for are what the file ends up with, also when it
 * existed (the server keeps the old ones on overwrite, so a command fixes them).
 * Left unspecified, a new file is 0644 root:root and an existing one keeps its own,
 * as with `cp`. Note: without `atomic`, a failed upload leaves what reached the
 * server in the file, again as `cp` would.
 */
export async function putFile(
  host: Host,
  source: FileSource,
  remotePath: string,
  options: PutFileOptions = {},
): Promise<PutFileResult> {
  const context = fileContext(host, 'putFile', remotePath);
  const path = checkRemotePath(remotePath, context);
  checkMode(options.mode, context);
  options.signal?.throwIfAborted();
  const opened = await openSource(source, context, options.signal);
  try {
    const owner = await resolveOwner(host, options, context);
    const want: Attributes = {
      ...(options.mode === undefined ? {} : { mode: options.mode }),
      ...owner,
    };
    const parents = pathLevels(posix.dirname(path));
    if (options.createParents === true && parents.length > 0) {
      await createDirectories(host, parents, {}, context);
    }
    return options.atomic === true
      ? await putAtomic(host, opened, path, want, context, options.signal)
      : await putInPlace(host, opened, path, want, context, options.signal);
  } finally {
    opened.close();
  }
}

async function putInPlace(
  host: Host,
  opened: SourceBody,
  path: string,
  want: Attributes,
  context: FileContext,
  signal: AbortSignal | undefined,
): Promise<PutFileResult> {
  const { api, name } = host;
  await upload(host, opened, path, headersFor(want), context, signal);
  if (Object.keys(want).length > 0) {
    let meta: FileMeta;
    try {
      meta = await statFile(api, name, path);
    } catch (error) {
      throw fileFailure(error, context);
    }
    await applyAttributes(host, path, want, meta, context);
  }
  return { path, bytes: opened.bytes() };
}

async function putAtomic(
  host: Host,
  opened: SourceBody,
  path: string,
  want: Attributes,
  context: FileContext,
  signal: AbortSignal | undefined,
): Promise<PutFileResult> {
  const { path: real, meta: old } = await currentFile(host, path, context);
  if (old?.type === 'directory') {
    throw new FileTypeError(
      `${failedAt(context)}: \`${real}\` is a directory, not a file. Name a file, ` +
        'or use putTree for a directory.',
      { ...context, expected: 'file', actual: 'directory' },
    );
  }
  // The temporary file is new, so the server gives it the mode and owner in the
  // headers: those asked for, else the old file's, else 0644 root:root.
  const attributes = {
    mode: want.mode ?? old?.mode ?? 0o644,
    uid: want.uid ?? old?.uid ?? 0,
    gid: want.gid ?? old?.gid ?? 0,
  };
  const temp = tempSibling(real, randomBytes(6).toString('hex'));
  let placed = false;
  try {
    await upload(host, opened, temp, headersFor(attributes), context, signal);
    const special = want.mode !== undefined && want.mode > 0o777;
    const octal = special ? `0${attributes.mode.toString(8)}` : '';
    const copySpecial = want.mode === undefined && old !== undefined ? '1' : '';
    await host.run(['sh', '-c', replaceScript, 'sh', octal, temp, real, copySpecial]);
    placed = true;
  } catch (error) {
    throw fileFailure(error, context, real);
  } finally {
    if (!placed) await deleteFile(host.api, host.name, temp).catch(() => undefined);
  }
  return { path: real, bytes: opened.bytes() };
}

// $1: a mode to give the temporary file ($2) that the files API cannot set; or, with
// $4, the special bits of the file ($3), which the API does not report, copied over
// where `stat` exists. Then the rename, which replaces the file in one step.
const replaceScript = [
  'if [ -n "$1" ]; then chmod "$1" "$2" || exit; elif [ -n "$4" ]; then',
  '  m=$(stat -c %a "$3" 2>/dev/null) && chmod "$m" "$2" 2>/dev/null',
  'fi',
  'exec mv -f "$2" "$3"',
].join('\n');

// The files API applies these only to a file it creates; the caller fixes the rest.
function headersFor(attributes: Attributes): FileWrite {
  const { mode, uid, gid } = attributes;
  return {
    ...(mode === undefined ? {} : { mode: mode & 0o777 }),
    ...(uid === undefined ? {} : { uid }),
    ...(gid === undefined ? {} : { gid }),
  };
}

/**
 * The file an atomic write replaces, symlinks followed (the rename must replace the
 * file, not the link), and what it is now; `meta` is undefined when it is new.
 */
async function currentFile(
  host: Host,
  path: string,
  context: FileContext,
): Promise<{ path: string; meta: FileMeta | undefined }> {
  const { api, name } = host;
  let current = path;
  for (let hop = 0; hop <= 40; hop += 1) {
    let meta: FileMeta;
    try {
      meta = await statFile(api, name, current);
    } catch (error) {
      if (error instanceof NotFoundError) return { path: current, meta: undefined };
      throw fileFailure(error, context, current);
    }
    if (meta.type !== 'symlink') return { path: current, meta };
    const read = await readFile(api, name, current).catch((error: unknown) => {
      throw fileFailure(error, context, current);
    });
    const target = read.kind === 'content' ? await read.body.text() : current;
    current = posix.resolve(posix.dirname(current), target);
  }
  throw new FileError(
    `${failedAt(context)}: more than 40 symlinks in a row. Look for a loop with stat.`,
    context,
  );
}
