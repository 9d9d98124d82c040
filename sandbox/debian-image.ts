import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { execa } from 'execa';

import type { ImageInfo } from './image-metadata.js';
import { ensurePackage } from './install.js';
import { say, SandboxError } from './log.js';
import { appUser, writeInit } from './rootfs.js';
import { run } from './run.js';
import { cachedImage, type ImageFiles } from './split-image.js';

/**
 * Builds the Debian image once with debootstrap, and reuses it after: minbase plus
 * sudo, for the tests that need a real sudo, GNU coreutils and tar.
 */
export async function buildDebianImage(dir: string): Promise<ImageFiles> {
  return cachedImage(dir, info, async (rootfs) => {
    await ensurePackage('debootstrap');
    await debootstrap(rootfs);
    await addApp(rootfs);
    await letAppSudo(rootfs);
    await writeInit(rootfs);
    await slim(rootfs);
  });
}

const suite = 'bookworm';
const mirror = 'http://deb.debian.org/debian';

// sudo looks the host name up and complains on stderr when it cannot: each
// container gets a hosts file naming it, written by the server when it creates it.
const info: ImageInfo = {
  description: `Debian ${suite} minbase with sudo for the lxd-api-connector sandbox`,
  os: 'debian',
  release: suite,
  templates: {
    '/etc/hostname': '{{ instance.name }}\n',
    '/etc/hosts': [
      '127.0.0.1\tlocalhost',
      '127.0.1.1\t{{ instance.name }}',
      '::1\tlocalhost ip6-localhost ip6-loopback',
      '',
    ].join('\n'),
  },
};

async function debootstrap(rootfs: string): Promise<void> {
  const args = ['--variant=minbase', '--include=sudo', suite, rootfs, mirror];
  say('image', `debootstrap ${args.join(' ')} (about a minute)`);
  const result = await execa('debootstrap', args, {
    stdin: 'ignore',
    all: true,
    reject: false,
  });
  if (result.failed) {
    const why =
      result.exitCode === undefined ? result.shortMessage : `exit ${result.exitCode}`;
    // debootstrap keeps the details of a failed step in a log inside the target.
    const log = await readFile(join(rootfs, 'debootstrap/debootstrap.log'), 'utf8')
      .then((text) => `\ndebootstrap.log ends with:\n${lastLines(text)}`)
      .catch(() => '');
    throw new SandboxError(
      `debootstrap of Debian ${suite} from ${mirror} failed (${why}); ` +
        `its last lines:\n${lastLines(result.all)}${log}`,
    );
  }
}

async function addApp(rootfs: string): Promise<void> {
  const { name, uid, gid, home, shell } = appUser;
  await run('chroot', [rootfs, 'groupadd', '--gid', String(gid), name]);
  await run('chroot', [
    rootfs,
    'useradd',
    '--uid',
    String(uid),
    '--gid',
    String(gid),
    '--home-dir',
    home,
    '--create-home',
    '--shell',
    shell,
    name,
  ]);
}

// A drop-in under /etc/sudoers.d, which Debian's /etc/sudoers includes; visudo
// refuses a file with a syntax error or a mode other than 0440.
async function letAppSudo(rootfs: string): Promise<void> {
  const file = `/etc/sudoers.d/${appUser.name}`;
  await writeFile(join(rootfs, file), `${appUser.name} ALL=(ALL) NOPASSWD: ALL\n`);
  await chmod(join(rootfs, file), 0o440);
  await run('chroot', [rootfs, 'visudo', '--check', '--file', file]);
}

// Package caches and lists, documentation, logs of the build, and the device nodes
// debootstrap made: a container gets its own /dev from the server.
async function slim(rootfs: string): Promise<void> {
  await run('chroot', [rootfs, 'apt-get', 'clean']);
  for (const dir of ['var/lib/apt/lists', 'usr/share/man', 'usr/share/info', 'dev']) {
    await deleteUnder(join(rootfs, dir));
  }
  // Each package's copyright file stays, as Debian asks.
  const doc = join(rootfs, 'usr/share/doc');
  await deleteUnder(doc, '! -type d ! -name copyright');
  await deleteUnder(doc, '-type d -empty');
  await deleteUnder(join(rootfs, 'var/log'), '-type f');
  await rm(join(rootfs, 'etc/resolv.conf'), { force: true });
}

// Deletes what find's `tests` match below `dir`, without leaving its file system.
async function deleteUnder(dir: string, tests = ''): Promise<void> {
  const matching = tests === '' ? [] : tests.split(' ');
  await run('find', [dir, '-xdev', '-mindepth', '1', ...matching, '-delete']);
}

function lastLines(text: string, count = 10): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}
