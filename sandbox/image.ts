import {
  chmod,
  chown,
  mkdir,
  mkdtemp,
  readdir,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { run, succeeds } from './run.js';
import { say } from './log.js';

/** The two tarballs of a split image, ready for `image import`. */
export interface ImageFiles {
  readonly metadata: string;
  readonly rootfs: string;
}

/** The alias the sandbox's image has on every server and project. */
export const imageAlias = 'lxd-api-busybox';

/** Builds the busybox image from Debian's busybox-static once, and reuses it after. */
export async function buildImage(dir: string): Promise<ImageFiles> {
  const files = { metadata: join(dir, 'meta.tar'), rootfs: join(dir, 'rootfs.tar') };
  if (existsSync(files.metadata) && existsSync(files.rootfs)) {
    say('image', `reusing ${dir}`);
    return files;
  }

  await mkdir(dir, { recursive: true });
  const work = await mkdtemp(join(dir, 'build-'));
  try {
    const busybox = await extractBusybox(work);
    const rootfs = join(work, 'rootfs');
    await makeRootfs(rootfs, busybox);
    await writeFile(join(work, 'metadata.yaml'), metadataYaml());

    // Numeric owners keep uid 1000 for the unprivileged user's home.
    await run('tar', [
      '--numeric-owner',
      '-C',
      rootfs,
      '-cf',
      `${files.rootfs}.part`,
      '.',
    ]);
    await run('tar', ['-C', work, '-cf', `${files.metadata}.part`, 'metadata.yaml']);
    await run('mv', [`${files.rootfs}.part`, files.rootfs]);
    await run('mv', [`${files.metadata}.part`, files.metadata]);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  say('image', `built busybox image in ${dir}`);
  return files;
}

async function extractBusybox(work: string): Promise<string> {
  const download = () => run('apt-get', ['download', 'busybox-static'], { cwd: work });
  try {
    await download();
  } catch {
    // A machine that never ran apt-get update has no package lists yet.
    await succeeds('apt-get', ['update']);
    await download();
  }
  const deb = (await readdir(work)).find((name) => name.endsWith('.deb'));
  if (deb === undefined) throw new Error(`apt-get download left no .deb in ${work}`);
  await run('dpkg-deb', ['-x', join(work, deb), join(work, 'pkg')]);
  return join(work, 'pkg', 'bin', 'busybox');
}

async function makeRootfs(rootfs: string, busybox: string): Promise<void> {
  for (const dir of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'root', 'home/app']) {
    await mkdir(join(rootfs, dir), { recursive: true });
  }
  for (const dir of ['proc', 'sys', 'dev', 'run', 'tmp', 'var/log']) {
    await mkdir(join(rootfs, dir), { recursive: true });
  }
  await chmod(join(rootfs, 'tmp'), 0o1777);
  await chmod(join(rootfs, 'root'), 0o700);
  await chown(join(rootfs, 'home/app'), 1000, 1000);

  await run('cp', [busybox, join(rootfs, 'bin/busybox')]);
  const applets = (await run(busybox, ['--list-full'])).split('\n');
  for (const applet of applets) {
    // The image brings its own init: busybox's would look for inittab and getty.
    if (applet === '' || applet === 'bin/busybox' || applet === 'sbin/init') continue;
    await symlink('/bin/busybox', join(rootfs, applet));
  }

  await writeFile(join(rootfs, 'sbin/init'), initScript, { mode: 0o755 });
  await writeFile(
    join(rootfs, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n',
  );
  await writeFile(join(rootfs, 'etc/group'), 'root:x:0:\napp:x:1000:\n');
  await writeFile(join(rootfs, 'etc/hostname'), 'busybox\n');
}

// Waits for a stop signal (LXD sends SIGPWR, a forced stop SIGTERM) and exits at once,
// so that stopping a sandbox container is quick.
const initScript = `#!/bin/sh
trap 'exit 0' TERM INT PWR
while :; do
  sleep 3600 &
  wait $!
done
`;

function metadataYaml(): string {
  const now = Math.floor(Date.now() / 1000);
  return [
    'architecture: x86_64',
    `creation_date: ${now}`,
    'properties:',
    '  description: busybox for the lxd-api-connector sandbox',
    '  os: busybox',
    '  release: debian-bookworm',
    '',
  ].join('\n');
}
