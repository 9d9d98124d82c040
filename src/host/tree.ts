// What putTree and getTree share: their options, their result, and the choice
// between one tar archive and one request per entry.
import { stat } from 'node:fs/promises';

import { LocalFileError } from './file-errors.js';
import { failedAt, type FileContext } from './file-failure.js';
import type { Host } from './host.js';
import { hasTar } from './instance-tools.js';
import type { TreeSummary } from './tree-extract.js';

/** How a tree travels. */
export type TreeTransfer = 'tar' | 'files';

/** Options of `putTree` and `getTree`. */
export interface TreeOptions {
  /**
   * `tar` packs the tree into one archive, sent in one request and unpacked with
   * one command in the instance; `files` sends one request per entry and needs no
   * command there. `auto` (the default) takes `tar` where the instance has it.
   */
  readonly transfer?: 'auto' | TreeTransfer;
  /** putTree: create missing parents of the remote folder, level by level. */
  readonly createParents?: boolean;
}

/** What a tree transfer moved, and how. */
export interface TreeResult extends TreeSummary {
  readonly transfer: TreeTransfer;
}

/** The transfer to use for a tree on this host. */
export async function chooseTransfer(
  host: Host,
  options: TreeOptions,
): Promise<TreeTransfer> {
  const asked = options.transfer ?? 'auto';
  if (asked !== 'auto') return asked;
  return (await hasTar(host)) ? 'tar' : 'files';
}

/** An empty summary, to count into. */
export function emptySummary(): TreeSummary {
  return { files: 0, directories: 0, symlinks: 0, skipped: [] };
}

/** Checks that a local folder exists and is one. */
export async function checkLocalFolder(
  folder: string,
  context: FileContext,
): Promise<void> {
  const found = await stat(folder).catch((error: unknown) => {
    const reason = (error as { code?: string }).code ?? 'EIO';
    throw new LocalFileError(
      `${failedAt(context)}: the local folder \`${folder}\` cannot be read ` +
        `(${reason}). Check the path.`,
      { ...context, localPath: folder, reason, cause: error },
    );
  });
  if (!found.isDirectory()) {
    throw new LocalFileError(
      `${failedAt(context)}: \`${folder}\` is not a folder. Send a single file with ` +
        'putFile.',
      { ...context, localPath: folder, reason: 'ENOTDIR' },
    );
  }
}

/** Runs `task` over `items`, at most `limit` at a time; fails with the first failure. */
export async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const item = items[next] as T;
      next += 1;
      try {
        await task(item);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
