import { chmod, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The unprivileged user of every sandbox image. The same uid and gid in all of
 * them, so that a test may run as `app` in any sandbox container alike.
 */
export const appUser = {
  name: 'app',
  uid: 1000,
  gid: 1000,
  home: '/home/app',
  shell: '/bin/sh',
} as const;

/** Writes the images' `/sbin/init`, replacing any init the root file system had. */
export async function writeInit(rootfs: string): Promise<void> {
  const file = join(rootfs, 'sbin/init');
  // Removed first: an absolute symlink in a root file system would lead the write
  // out of it, onto the host.
  await rm(file, { force: true });
  await writeFile(file, initScript);
  await chmod(file, 0o755);
}

// Without an /sbin/init a container does not start. This one waits for a stop
// signal (LXD sends SIGPWR, a forced stop SIGTERM) and exits at once, so that
// stopping a sandbox container is quick.
const initScript = `#!/bin/sh
trap 'exit 0' TERM INT PWR
while :; do
  sleep 3600 &
  wait $!
done
`;
