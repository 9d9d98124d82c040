import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';

import { ConfigError } from '../errors.js';

/**
 * Files of a client configuration replaced as one change: each new content is
 * written and synced beside its target first, then all are renamed into place in
 * the order given, so that `config.yml`, named last, is the point of no return. A
 * failure before that leaves every file as it was; a failure while renaming puts
 * back the files already replaced.
 *
 * Note: a rename within a folder is atomic, so a reader (`lxc`, `incus`, another
 * process of ours) sees a file whole, old or new, never half written.
 */
export class FileChanges {
  readonly #staged: Staged[] = [];

  /** Stages `data` for `file`; a new file gets `mode`, an existing one keeps its own. */
  write(file: string, data: string, mode: number): void {
    const target = realTarget(file);
    const old = readOld(target);
    mkdirFor(target);
    const temp = join(dirname(target), `.${basename(target)}.${tempSuffix()}`);
    writeSynced(temp, data, old?.mode ?? mode);
    this.#staged.push({ target, temp, old });
  }

  /** Stages the removal of `file`; false when there is no such file. */
  remove(file: string): boolean {
    const old = readOld(file);
    if (old === undefined) return false;
    this.#staged.push({ target: file, temp: undefined, old });
    return true;
  }

  /** Puts every staged change in place, in order; on failure, undoes the done ones. */
  commit(): void {
    const done: Staged[] = [];
    try {
      for (const change of this.#staged) {
        if (change.temp === undefined) unlinkSync(change.target);
        else renameSync(change.temp, change.target);
        done.push(change);
      }
    } catch (error) {
      const failure = cannotWrite(this.#staged[done.length]?.target, error);
      this.discard();
      for (const change of done.reverse()) restore(change);
      throw failure;
    }
    this.#staged.length = 0;
  }

  /** Drops every staged change that was not committed. */
  discard(): void {
    for (const { temp } of this.#staged) {
      if (temp !== undefined) removeQuietly(temp);
    }
    this.#staged.length = 0;
  }
}

/**
 * Checks that files can be created in `dir`, or, while it does not exist, in the
 * nearest folder above it, by creating and removing one; throws a ConfigError
 * saying which folder refused and why. Note: `access(W_OK)` is not enough, it
 * says yes to root on a read-only or immutable folder.
 */
export function checkWritable(dir: string): void {
  let folder = dir;
  while (!exists(folder) && dirname(folder) !== folder) folder = dirname(folder);
  const probe = join(folder, `.lxd-api-probe.${tempSuffix()}`);
  try {
    closeSync(openSync(probe, 'wx', 0o600));
    unlinkSync(probe);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    const what = folder === dir ? 'the folder' : `the folder above it, ${folder},`;
    throw new ConfigError(
      `Cannot write the client configuration in ${dir}: ${what} refuses new files ` +
        `(${code}). Make it writable for this user, or point LXD_CONF / INCUS_CONF ` +
        'at a folder that is.',
      { file: dir, cause: error },
    );
  }
}

interface OldFile {
  readonly data: Buffer;
  readonly mode: number;
}

interface Staged {
  readonly target: string;
  /** The new content, synced, waiting to be renamed; undefined for a removal. */
  readonly temp: string | undefined;
  /** What the target held before, to restore; undefined when it did not exist. */
  readonly old: OldFile | undefined;
}

// A symlinked config.yml (dotfile managers do this) is replaced at its target, so
// that the link survives.
function realTarget(file: string): string {
  try {
    return lstatSync(file).isSymbolicLink() ? realpathSync(file) : file;
  } catch {
    return file;
  }
}

function readOld(file: string): OldFile | undefined {
  try {
    const mode = statSync(file).mode & 0o7777;
    return { data: readFileSync(file), mode };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ConfigError(
      `Cannot read ${file} (${code}) before replacing it; check its permissions.`,
      { file, cause: error },
    );
  }
}

// The clients make their folders 0750.
function mkdirFor(file: string): void {
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o750 });
  } catch (error) {
    throw folderError(dirname(file), error);
  }
}

function writeSynced(file: string, data: string | Buffer, mode: number): void {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'wx', mode);
    writeFileSync(fd, data);
    fsyncSync(fd);
  } catch (error) {
    if (fd !== undefined) removeQuietly(file);
    throw folderError(dirname(file), error);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function restore(change: Staged): void {
  try {
    if (change.old === undefined) {
      unlinkSync(change.target);
      return;
    }
    const temp = `${change.target}.${tempSuffix()}`;
    writeSynced(temp, change.old.data, change.old.mode);
    renameSync(temp, change.target);
  } catch {
    // The original error is the one to report; a file that cannot be put back is
    // named in it.
  }
}

function cannotWrite(target: string | undefined, error: unknown): ConfigError {
  const failed = target ?? '?';
  const code = (error as NodeJS.ErrnoException).code ?? String(error);
  return new ConfigError(
    `Cannot put ${failed} in place (${code}); the files changed before it were put ` +
      'back. Check the permissions of that folder and try again.',
    { file: failed, cause: error },
  );
}

function folderError(folder: string, error: unknown): ConfigError {
  if (error instanceof ConfigError) return error;
  const code = (error as NodeJS.ErrnoException).code ?? String(error);
  return new ConfigError(
    `Cannot write in ${folder} (${code}); nothing was changed. Make the folder ` +
      'writable for this user, or point LXD_CONF / INCUS_CONF at one that is.',
    { file: folder, cause: error },
  );
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // Already gone.
  }
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function tempSuffix(): string {
  return `${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
}
