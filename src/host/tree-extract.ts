import { mkdir } from 'node:fs/promises';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';

import { Unpack, type ReadEntry } from 'tar';

import { FileError, UnsafeTreeEntryError } from './file-errors.js';
import { failedAt, type FileContext } from './file-failure.js';
import { unsafeEntry, type TreeEntryKind } from './tree-safety.js';

/** What a tree transfer moved. */
export interface TreeSummary {
  /** Regular files, hard links among them. */
  files: number;
  directories: number;
  symlinks: number;
  /** Entries left out: devices, FIFOs and sockets, which are not copied. */
  readonly skipped: string[];
}

/**
 * Unpacks a tar stream into a local folder, creating the folder if need be. Every
 * entry is checked before anything of it is written: one that would land outside
 * the folder stops the whole unpacking with an UnsafeTreeEntryError (the entries
 * before it stay). Modes are kept exactly; owners are the local user's; nothing is
 * written through a symlink; an existing file in the way is replaced.
 */
export async function extractTree(
  source: Readable,
  folder: string,
  context: FileContext,
): Promise<TreeSummary> {
  await mkdir(folder, { recursive: true });
  const summary: TreeSummary = { files: 0, directories: 0, symlinks: 0, skipped: [] };
  let failure: Error | undefined;
  const stop = (error: Error) => {
    failure ??= error;
    unpack.abort(error);
  };

  const unpack: Unpack = new Unpack({
    cwd: folder,
    preserveOwner: false,
    chmod: true,
    processUmask: 0,
    unlink: true,
    filter: (_path, entry) => {
      const read = entry as ReadEntry;
      const kind = kindOf(read);
      const why = unsafeEntry(read.path, kind, read.linkpath);
      if (why !== undefined) {
        stop(refusal(context, folder, read.path, read.linkpath, why));
        return false;
      }
      const root = posix.normalize(read.path).replace(/\/$/, '') === '.';
      if (kind === 'other') summary.skipped.push(read.path);
      else if (kind === 'directory') summary.directories += root ? 0 : 1;
      else if (kind === 'symlink') summary.symlinks += 1;
      else summary.files += 1;
      return kind !== 'other';
    },
    onwarn: (code, message, data) => {
      if (code === 'TAR_ENTRY_INFO') return;
      const path = (data as { entry?: ReadEntry }).entry?.path ?? '?';
      if (code === 'TAR_SYMLINK_ERROR') {
        stop(
          refusal(
            context,
            folder,
            path,
            undefined,
            'it would be written through a symlink',
          ),
        );
        return;
      }
      stop(
        new FileError(
          `${failedAt(context)}: entry \`${path}\` could not be written under ` +
            `\`${folder}\` (${code}: ${message}).`,
          context,
        ),
      );
    },
  });

  try {
    await new Promise<void>((resolve, reject) => {
      unpack.on('close', resolve);
      unpack.on('error', reject);
      source.on('error', reject);
      source.pipe(unpack);
    });
  } catch (error) {
    source.destroy();
    throw failure ?? error;
  }
  if (failure !== undefined) throw failure;
  return summary;
}

function kindOf(entry: ReadEntry): TreeEntryKind {
  switch (entry.type) {
    case 'File':
    case 'OldFile':
    case 'ContiguousFile':
      return 'file';
    case 'Directory':
    case 'GNUDumpDir':
      return 'directory';
    case 'SymbolicLink':
      return 'symlink';
    case 'Link':
      return 'hardlink';
    default:
      return 'other';
  }
}

/** The error for an entry of an incoming tree that may not be written. */
export function refusal(
  context: FileContext,
  folder: string,
  entry: string,
  linkTarget: string | undefined,
  reason: string,
): UnsafeTreeEntryError {
  const link = linkTarget === undefined ? '' : ` -> \`${linkTarget}\``;
  return new UnsafeTreeEntryError(
    `${failedAt(context)}: entry \`${entry}\`${link} was refused, as ${reason}; ` +
      `nothing may land outside \`${folder}\`. The entries before it were unpacked; ` +
      'check what made the tree.',
    { ...context, entry, linkTarget, destination: folder, reason },
  );
}
