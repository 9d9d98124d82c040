import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';

import { deleteFile, readFile, statFile, type FileMeta } from '../api/files.js';
import { FileError, FileTypeError } from './file-errors.js';
import { failedAt, fileFailure, type FileContext } from './file-failure.js';
import { fileContext } from './files.js';
import type { Host } from './host.js';
import { checkRemotePath } from './remote-path.js';
import { chooseTransfer, type TreeOptions, type TreeResult } from './tree.js';
import { getTreeByFile } from './tree-by-file.js';
import { extractTree, type TreeSummary } from './tree-extract.js';

/**
 * Copies a folder of the instance into a local folder, created if missing, with
 * its files, folders (empty ones too), symlinks and modes; the local user owns
 * what is written. Entries that would land outside the local folder (`..`,
 * absolute paths, links pointing out, absolute links) are refused with an
 * UnsafeTreeEntryError: the instance is not trusted to send a safe archive.
 */
export async function getTree(
  host: Host,
  remoteDir: string,
  localDir: string,
  options: TreeOptions = {},
): Promise<TreeResult> {
  const context = fileContext(host, 'getTree', remoteDir);
  const path = checkRemotePath(remoteDir, context);
  const local = resolve(localDir);

  let meta: FileMeta;
  try {
    meta = await statFile(host.api, host.name, path);
  } catch (error) {
    throw fileFailure(error, context);
  }
  if (meta.type === 'file') {
    throw new FileTypeError(
      `${failedAt(context)}: \`${path}\` is a file, not a directory. Fetch a file ` +
        'with getFile.',
      { ...context, expected: 'directory', actual: 'file' },
    );
  }

  const transfer = await chooseTransfer(host, options);
  const summary =
    transfer === 'tar'
      ? await getByTar(host, path, local, context)
      : await getTreeByFile(host, path, local, context);
  return { ...summary, transfer };
}

// Packs into a file only root can read; tar -C follows a symlink to the folder.
const packScript = 'umask 077; exec tar -c -f "$1" -C "$2" .';

async function getByTar(
  host: Host,
  path: string,
  local: string,
  context: FileContext,
): Promise<TreeSummary> {
  const archive = `/tmp/.lxd-api-tree-${randomBytes(6).toString('hex')}.tar`;
  try {
    await host.run(['sh', '-c', packScript, 'sh', archive, path]);
    const read = await readFile(host.api, host.name, archive);
    if (read.kind !== 'content') {
      throw new FileError(
        `${failedAt(context)}: the archive became a directory.`,
        context,
      );
    }
    return await extractTree(read.body, local, context);
  } catch (error) {
    throw fileFailure(error, context);
  } finally {
    await deleteFile(host.api, host.name, archive).catch(() => undefined);
  }
}
