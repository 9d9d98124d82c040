import { chmod, chown, mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { appUser, writeInit } from './rootfs.js';
import { run, succeeds } from './run.js';
import { cachedImage, type ImageFiles } from './split-image.js';

/** Builds the busybox image from Debian's busybox-static once, and reuses it after. */
export async function buildBusyboxImage(dir: string): Promise<ImageFiles> {
  return cachedImage(dir, info, async (rootfs, work) => {
    const busybox = await extractBusybox(work);
    await makeRootfs(rootfs, busybox);
  });
}

const info = {
  description: 'busybox for the lxd-api-connector sandbox',
  os: 'busybox',
  release: 'debian-bookworm',
};

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
  const home = join(rootfs, appUser.home);
  await mkdir(home, { recursive: true });
  for (const dir of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'root']) {
    await mkdir(join(rootfs, dir), { recursive: true });
  }
  for (const dir of ['proc', 'sys', 'dev', 'run', 'tmp', 'var/log']) {
    await mkdir(join(rootfs, dir), { recursive: true });
  }
  await chmod(join(rootfs, 'tmp'), 0o1777);
  await chmod(join(rootfs, 'root'), 0o700);
  await chown(home, appUser.uid, appUser.gid);

  await run('cp', [busybox, join(rootfs, 'bin/busybox')]);
  const applets = (await run(busybox, ['--list-full'])).split('\n');
  for (const applet of applets) {
    // The image brings its own init: busybox's would look for inittab and getty.
    if (applet === '' || applet === 'bin/busybox' || applet === 'sbin/init') continue;
    await symlink('/bin/busybox', join(rootfs, applet));
  }

  await writeInit(rootfs);
  const { name, uid, gid, shell } = appUser;
  const app = `${name}:x:${uid}:${gid}:${name}:${appUser.home}:${shell}`;
  await writeFile(join(rootfs, 'etc/passwd'), `root:x:0:0:root:/root:/bin/sh\n${app}\n`);
  await writeFile(join(rootfs, 'etc/group'), `root:x:0:\n${name}:x:${gid}:\n`);
  await writeFile(join(rootfs, 'etc/hostname'), 'busybox\n');
}
