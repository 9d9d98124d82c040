// Trees one entry at a time, through the files API alone, for instances without
// `tar`. Slower (the server starts a helper per request), and lossier: see the notes.
import {
  chmod,
  lstat,
  mkdir,
  readdir,
  readlink,
  symlink,
  unlink,
} from 'node:fs/promises';
import { join, posix } from 'node:path';

import { NotFoundError } from '../api/errors.js';
import {
  deleteFile,
  readFile,
  statFile,
  writeFile,
  type FileMeta,
} from '../api/files.js';
import { FileError, LocalFileError } from './file-errors.js';
import { failedAt, fileFailure, type FileContext } from './file-failure.js';
import { openSource } from './file-source.js';
import { saveLocal } from './get-file.js';
import type { Host } from './host.js';
import { eachLimited, emptySummary } from './tree.js';
import { refusal, type TreeSummary } from './tree-extract.js';
import { unsafeEntry } from './tree-safety.js';
import { upload } from './upload.js';

/** Requests in flight at once for the entries of one folder. */
const parallel = 8;

/**
 * Sends a local tree entry by entry: folders first, pipelined in order on one
 * socket (the server takes them in order, so parents exist before children), then
 * files and symlinks a few at a time. Each file and symlink is removed before it
 * is written, so that it gets the mode asked for. Note: a folder that exists
 * already keeps its mode, which only a command could change, and setuid, setgid
 * and sticky bits are lost: the files API drops them.
 */
export async function putTreeByFile(
  host: Host,
  local: string,
  remote: string,
  context: FileContext,
): Promise<TreeSummary> {
  const summary = emptySummary();
  const entries = await walk(local, '', summary);
  const { api, facts, name } = host;
  const at = (rel: string) => posix.join(remote, rel);

  const folders = entries.filter((entry) => entry.kind === 'directory');
  await api.transport.withConnection(
    async (via) => {
      const made = folders.map((folder) => {
        const file = { type: 'directory', mode: folder.mode & 0o777 } as const;
        return writeFile(api, facts, name, at(folder.rel), Buffer.alloc(0), file, {
          via,
        });
      });
      const results = await Promise.allSettled(made);
      const failed = results.findIndex((result) => result.status === 'rejected');
      const failure = results[failed];
      if (failure?.status === 'rejected') {
        throw fileFailure(failure.reason, context, at(folders[failed]?.rel ?? ''));
      }
    },
    { idempotent: true },
  );

  const rest = entries.filter((entry) => entry.kind !== 'directory');
  await eachLimited(rest, parallel, async (entry) => {
    const path = at(entry.rel);
    await deleteFile(api, name, path).catch((error: unknown) => {
      if (!(error instanceof NotFoundError)) throw fileFailure(error, context, path);
    });
    if (entry.kind === 'symlink') {
      const target = Buffer.from(entry.target ?? '');
      await writeFile(api, facts, name, path, target, { type: 'symlink' }).catch(
        (error: unknown) => {
          throw fileFailure(error, context, path);
        },
      );
      return;
    }
    const opened = await openSource(join(local, entry.rel), context);
    try {
      await upload(host, opened, path, { mode: entry.mode & 0o777 }, context, undefined);
    } finally {
      opened.close();
    }
  });
  return summary;
}

/**
 * Fetches a tree entry by entry: each folder listed, each entry looked up, files
 * a few at a time, subfolders one after another. Note: the server gives a symlink's
 * target made absolute, so a link inside the tree comes back relative, whatever
 * it was, and a link out of the tree is refused. Folder modes are set last, so
 * that a read-only folder can be filled first.
 */
export async function getTreeByFile(
  host: Host,
  remote: string,
  local: string,
  context: FileContext,
): Promise<TreeSummary> {
  const summary = emptySummary();
  const modes: [string, number][] = [];
  await mkdir(local, { recursive: true });
  const root = await lookUp(host, remote, context);
  modes.push([local, root.mode]);

  const visit = async (rel: string): Promise<void> => {
    const folder = rel === '' ? remote : posix.join(remote, rel);
    const names = await list(host, folder, context);
    const children = names.map((child) => (rel === '' ? child : `${rel}/${child}`));
    for (const child of children) {
      const why = unsafeEntry(child, 'file');
      if (why !== undefined) throw refusal(context, local, child, undefined, why);
    }
    const metas = new Map<string, FileMeta>();
    await eachLimited(children, parallel, async (child) => {
      const meta = await lookUp(host, posix.join(remote, child), context);
      metas.set(child, meta);
      if (meta.type === 'file') await fetchFile(host, remote, local, child, context);
      if (meta.type === 'symlink') await fetchLink(host, remote, local, child, context);
    });
    for (const child of children) {
      const meta = metas.get(child);
      if (meta?.type === 'file') summary.files += 1;
      if (meta?.type === 'symlink') summary.symlinks += 1;
      if (meta?.type !== 'directory') continue;
      summary.directories += 1;
      await makeLocalFolder(join(local, child), context, local);
      modes.push([join(local, child), meta.mode]);
      await visit(child);
    }
  };
  await visit('');

  for (const [path, mode] of modes.reverse()) await chmod(path, mode);
  return summary;
}

interface LocalEntry {
  readonly rel: string;
  readonly kind: 'file' | 'directory' | 'symlink';
  readonly mode: number;
  readonly target?: string;
}

// Every entry under `local`, parents before children; what is not a file, a
// folder or a symlink is skipped.
async function walk(
  local: string,
  rel: string,
  summary: TreeSummary,
): Promise<LocalEntry[]> {
  const entries: LocalEntry[] = [];
  for (const name of (await readdir(join(local, rel))).sort()) {
    const child = rel === '' ? name : `${rel}/${name}`;
    const stats = await lstat(join(local, child));
    if (stats.isDirectory()) {
      summary.directories += 1;
      entries.push({ rel: child, kind: 'directory', mode: stats.mode & 0o7777 });
      entries.push(...(await walk(local, child, summary)));
    } else if (stats.isSymbolicLink()) {
      summary.symlinks += 1;
      const target = await readlink(join(local, child));
      entries.push({ rel: child, kind: 'symlink', mode: 0o777, target });
    } else if (stats.isFile()) {
      summary.files += 1;
      entries.push({ rel: child, kind: 'file', mode: stats.mode & 0o7777 });
    } else {
      summary.skipped.push(child);
    }
  }
  return entries;
}

// The metadata of one entry; a failure is a file error.
async function lookUp(host: Host, path: string, context: FileContext) {
  try {
    return await statFile(host.api, host.name, path);
  } catch (error) {
    throw fileFailure(error, context, path);
  }
}

async function list(host: Host, path: string, context: FileContext): Promise<string[]> {
  const read = await readFile(host.api, host.name, path).catch((error: unknown) => {
    throw fileFailure(error, context, path);
  });
  if (read.kind === 'listing') return read.entries.sort();
  await read.body.dump();
  throw new FileError(
    `${failedAt(context)}: \`${path}\` stopped being a folder.`,
    context,
  );
}

async function fetchFile(
  host: Host,
  remote: string,
  local: string,
  rel: string,
  context: FileContext,
): Promise<void> {
  const path = posix.join(remote, rel);
  const read = await readFile(host.api, host.name, path).catch((error: unknown) => {
    throw fileFailure(error, context, path);
  });
  if (read.kind !== 'content') {
    throw new FileError(
      `${failedAt(context)}: \`${path}\` stopped being a file.`,
      context,
    );
  }
  await saveLocal(read, join(local, rel), context);
}

async function fetchLink(
  host: Host,
  remote: string,
  local: string,
  rel: string,
  context: FileContext,
): Promise<void> {
  const path = posix.join(remote, rel);
  const read = await readFile(host.api, host.name, path).catch((error: unknown) => {
    throw fileFailure(error, context, path);
  });
  const absolute = read.kind === 'content' ? await read.body.text() : '';
  if (absolute !== remote && !absolute.startsWith(`${remote}/`)) {
    throw refusal(context, local, rel, absolute, 'it links outside the tree');
  }
  const target = posix.relative(posix.dirname(path), absolute) || '.';
  const why = unsafeEntry(rel, 'symlink', target);
  if (why !== undefined) throw refusal(context, local, rel, target, why);
  const at = join(local, rel);
  const there = await lstat(at).catch(() => undefined);
  if (there?.isDirectory() === true) {
    throw new LocalFileError(
      `${failedAt(context)}: \`${at}\` is a local folder where the tree has a ` +
        'symlink. Move it away first.',
      { ...context, localPath: at, reason: 'EISDIR' },
    );
  }
  if (there !== undefined) await unlink(at);
  await symlink(target, at);
}

// A folder that is there already must be a real one: never write through a symlink.
async function makeLocalFolder(path: string, context: FileContext, local: string) {
  const there = await lstat(path).catch(() => undefined);
  if (there === undefined) {
    await mkdir(path, { mode: 0o700 });
  } else if (!there.isDirectory()) {
    const why = there.isSymbolicLink()
      ? 'it would be written through a local symlink'
      : 'a local file is in its place';
    throw refusal(context, local, path, undefined, why);
  }
}
