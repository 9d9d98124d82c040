import { readFile } from 'node:fs/promises';

import { say } from './log.js';
import { succeeds } from './run.js';

/**
 * Removes an image's build folder, even one a killed build left behind. A build may
 * leave mounts in its root file system: debootstrap mounts /proc and /sys there and,
 * in a container, binds the host's /dev/pts and /dev/shm. They are unmounted first,
 * and rm stays on the build's own file system, so that it never reaches the host's.
 */
export async function removeBuildFolder(work: string): Promise<void> {
  for (const point of await mountsUnder(work)) {
    await succeeds('umount', ['--lazy', point]);
  }
  if (!(await succeeds('rm', ['-rf', '--one-file-system', work]))) {
    say('image', `could not remove ${work}; check it for mounts and remove it by hand`);
  }
}

// Deepest first, so that no mount hides another one below it.
async function mountsUnder(dir: string): Promise<string[]> {
  const table = await readFile('/proc/self/mounts', 'utf8');
  return table
    .split('\n')
    .map((line) => unescapeMountPoint(line.split(' ')[1] ?? ''))
    .filter((point) => point.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

// The mount table writes a space as \040, a tab as \011, a backslash as \134.
function unescapeMountPoint(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) =>
    String.fromCharCode(parseInt(octal, 8)),
  );
}
