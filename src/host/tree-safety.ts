import { posix } from 'node:path';

/** What an entry of a tree is, as far as its safety goes. */
export type TreeEntryKind = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';

/**
 * Why an entry of a tree coming in would land outside its destination folder, or
 * undefined when it stays inside. `path` is relative to the destination; a link's
 * `target` is what the link holds (a hard link's is a path in the tree).
 *
 * Note: a symlink target may climb up with leading `..` (they climb real folders,
 * since nothing is written through a symlink), but not go down and back up
 * (`a/../..`): a symlink `a` on the way would change where that lands.
 */
export function unsafeEntry(
  path: string,
  kind: TreeEntryKind,
  target?: string,
): string | undefined {
  if (path.includes('\0')) return 'its path holds a NUL byte';
  if (path.startsWith('/')) return 'its path is absolute';
  if (path.split('/').includes('..')) return 'its path climbs out with `..`';
  const normal = posix.normalize(path).replace(/\/$/, '');
  if (normal === '.' && kind !== 'directory') {
    return 'it would replace the destination folder itself';
  }
  if (kind === 'symlink') return unsafeSymlink(normal, target ?? '');
  if (kind === 'hardlink') return unsafeHardlink(target ?? '');
  return undefined;
}

function unsafeSymlink(path: string, target: string): string | undefined {
  if (target === '' || target.includes('\0')) return 'its link target is empty or bad';
  if (target.startsWith('/')) return 'it links to an absolute path';
  const parts = target.split('/');
  const firstName = parts.findIndex(
    (part) => part !== '..' && part !== '.' && part !== '',
  );
  if (firstName !== -1 && parts.slice(firstName).includes('..')) {
    return 'its link target goes down and back up with `..`';
  }
  const lands = posix.normalize(posix.join(posix.dirname(path), target));
  if (lands === '..' || lands.startsWith('../'))
    return 'it links outside the destination';
  return undefined;
}

function unsafeHardlink(target: string): string | undefined {
  if (target === '' || target.includes('\0')) return 'its link target is empty or bad';
  if (target.startsWith('/')) return 'it hard-links to an absolute path';
  if (target.split('/').includes('..')) return 'its link target climbs out with `..`';
  return undefined;
}
