import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';

import { create, type WriteEntry } from 'tar';

import { deleteFile } from '../api/files.js';
import { FileTypeError } from './file-errors.js';
import { failedAt, fileFailure, type FileContext } from './file-failure.js';
import { openSource } from './file-source.js';
import { createDirectories, fileContext } from './files.js';
import type { Host } from './host.js';
import { checkRemotePath, pathLevels } from './remote-path.js';
import {
  checkLocalFolder,
  chooseTransfer,
  emptySummary,
  type TreeOptions,
  type TreeResult,
} from './tree.js';
import { putTreeByFile } from './tree-by-file.js';
import type { TreeSummary } from './tree-extract.js';
import { upload } from './upload.js';

/**
 * Copies a local folder's contents into a folder of the instance, which is created
 * if missing: files, folders (empty ones too) and symlinks as they are, with their
 * modes; owned by root. With tar, the whole tree is one archive, streamed from disk
 * in one upload and unpacked with one command; existing files in the way are
 * replaced, other files in the folder are left alone.
 */
export async function putTree(
  host: Host,
  localDir: string,
  remoteDir: string,
  options: TreeOptions = {},
): Promise<TreeResult> {
  const context = fileContext(host, 'putTree', remoteDir);
  const path = checkRemotePath(remoteDir, context);
  const local = resolve(localDir);
  await checkLocalFolder(local, context);

  const levels = options.createParents === true ? pathLevels(path) : [path];
  const meta = await createDirectories(
    host,
    levels.length > 0 ? levels : ['/'],
    {},
    context,
  );
  if (meta.type === 'file') {
    throw new FileTypeError(
      `${failedAt(context)}: \`${path}\` is a file, not a directory. Name a directory.`,
      { ...context, expected: 'directory', actual: 'file' },
    );
  }

  const transfer = await chooseTransfer(host, options);
  const summary =
    transfer === 'tar'
      ? await putByTar(host, local, path, context)
      : await putTreeByFile(host, local, path, context);
  return { ...summary, transfer };
}

// Unpacks as root with umask 0, so that modes are the archive's exactly, and with
// -o, so that files are root's rather than the local uids'. The archive goes
// whatever tar's outcome.
const unpackScript =
  'umask 0; tar -x -o -f "$1" -C "$2"; status=$?; rm -f "$1"; exit $status';

async function putByTar(
  host: Host,
  local: string,
  path: string,
  context: FileContext,
): Promise<TreeSummary> {
  const summary = emptySummary();
  const pack = create(
    {
      cwd: local,
      // Devices, FIFOs and sockets are not copied: tar would write them as empty
      // files, or not at all.
      filter: (entry, stats) => {
        const kept =
          'isFile' in stats &&
          (stats.isFile() || stats.isDirectory() || stats.isSymbolicLink());
        if (!kept) summary.skipped.push(entry);
        return kept;
      },
      onWriteEntry: (entry: WriteEntry) => {
        count(summary, entry);
      },
    },
    ['.'],
  );
  const archive = `/tmp/.lxd-api-tree-${randomBytes(6).toString('hex')}.tar`;
  const opened = await openSource(Readable.from(inPieces(pack)), context);
  let unpacked = false;
  try {
    await upload(host, opened, archive, { mode: 0o600 }, context, undefined);
    await host.run(['sh', '-c', unpackScript, 'sh', archive, path]);
    unpacked = true;
  } catch (error) {
    throw fileFailure(error, context);
  } finally {
    opened.close();
    if (!unpacked) await deleteFile(host.api, host.name, archive).catch(() => undefined);
  }
  return summary;
}

const pieceBytes = 64 * 1024;

// The archive in pieces of at least 64 KiB. Tar gives a header and a body per
// file, and every piece written is a TLS record and a TCP segment of its own
// (Nagle is off on our sockets): a tree of small files sent as it comes costs a
// packet or two per file, and took twice as long to upload as the same bytes in
// large pieces. The archive is made on this machine, from its disk, so holding
// 64 KiB back delays nothing that matters.
async function* inPieces(archive: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let bytes = 0;
  for await (const part of archive) {
    parts.push(part);
    bytes += part.length;
    if (bytes < pieceBytes) continue;
    yield Buffer.concat(parts, bytes);
    parts = [];
    bytes = 0;
  }
  if (bytes > 0) yield Buffer.concat(parts, bytes);
}

function count(summary: TreeSummary, entry: WriteEntry): void {
  const path = entry.path.replace(/^\.\/?/, '');
  if (path === '') return;
  if (entry.type === 'Directory') summary.directories += 1;
  else if (entry.type === 'SymbolicLink') summary.symlinks += 1;
  else if (entry.type === 'File' || entry.type === 'Link') summary.files += 1;
}
