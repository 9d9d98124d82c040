// putTree and getTree against the real LXD and Incus of the sandbox: trees that come
// back exactly (content, modes, symlinks, empty folders), with one tar archive each
// way or one request per entry, and trees from an instance that are refused.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmod,
  lstat,
  mkdir,
  readdir,
  readFile,
  readlink,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { connect } from '../../src/host/connect.js';
import {
  FileTypeError,
  LocalFileError,
  RemoteNotFoundError,
  UnsafeTreeEntryError,
} from '../../src/host/file-errors.js';
import type { Host } from '../../src/host/host.js';
import { RemoteRegistry } from '../../src/host/remote-registry.js';
import { sandboxEnv, sandboxServers } from '../helpers/sandbox.js';
import { scratchDir } from '../helpers/scratch.js';

const env = sandboxEnv();

for (const server of sandboxServers()) {
  describe(`host trees on ${server.title}`, () => {
    const remotes = new RemoteRegistry();
    const dir = `/tmp/lxd-api-trees-${randomBytes(4).toString('hex')}`;
    let busybox: Host;
    let debian: Host;

    before(async () => {
      const open = (name: string) =>
        connect(`${server.remotes.https}:${name}`, { env, remotes });
      [busybox, debian] = await Promise.all([
        open(server.instances[2] ?? ''),
        open(server.sudoInstance),
      ]);
      await Promise.all([busybox.mkdir(dir), debian.mkdir(dir)]);
    });
    after(async () => {
      for (const host of [busybox, debian]) {
        const archives = await host.run('ls -A /tmp');
        assert.doesNotMatch(
          String(archives.stdout),
          /\.lxd-api-tree-/,
          'no archive is left',
        );
        await host.remove(dir, { recursive: true });
        await host.disconnect();
      }
      await remotes.close();
    });

    test('round-trips 2,000 files, links and an empty folder exactly', async (t) => {
      const source = scratchDir('tree-');
      await buildTree(source, { folders: 10, subfolders: 5, files: 40 });
      const expected = await snapshot(source);
      assert.equal(
        [...expected.values()].filter((entry) => entry.startsWith('file')).length,
        2001,
      );

      let started = performance.now();
      const sent = await busybox.putTree(source, `${dir}/big`);
      const putMs = performance.now() - started;
      assert.deepEqual(
        { ...sent, skipped: sent.skipped.length },
        { files: 2001, directories: 61, symlinks: 2, skipped: 0, transfer: 'tar' },
      );
      const owners = await busybox.run(['find', `${dir}/big`, '!', '-user', '0']);
      assert.equal(owners.stdout, '', 'everything sent is root’s');

      const back = join(scratchDir('tree-back-'), 'copy');
      started = performance.now();
      const got = await busybox.getTree(`${dir}/big`, back);
      const getMs = performance.now() - started;
      t.diagnostic(`putTree ${Math.round(putMs)} ms, getTree ${Math.round(getMs)} ms`);
      assert.deepEqual({ ...got, skipped: got.skipped.length }, { ...sent, skipped: 0 });
      assert.deepEqual(await snapshot(back), expected);
    });

    test('replaces files in the way with the modes of the tree sent again', async () => {
      const source = scratchDir('tree-again-');
      await buildTree(source, { folders: 1, subfolders: 1, files: 3 });
      await busybox.putTree(source, `${dir}/again`);
      await writeFile(join(source, 'd0/e0/f0.txt'), 'changed');
      await chmod(join(source, 'd0/e0/f0.txt'), 0o604);
      await busybox.putTree(source, `${dir}/again`);
      const back = join(scratchDir('tree-again-back-'), 'copy');
      await busybox.getTree(`${dir}/again`, back);
      assert.deepEqual(await snapshot(back), await snapshot(source));
    });

    test('round-trips a tree one request per entry, as without tar', async () => {
      const source = scratchDir('tree-files-');
      await buildTree(source, { folders: 2, subfolders: 2, files: 4 });
      const files = { transfer: 'files' } as const;
      const sent = await busybox.putTree(source, `${dir}/by-file`, files);
      assert.deepEqual(
        { ...sent, skipped: sent.skipped.length },
        { files: 17, directories: 7, symlinks: 2, skipped: 0, transfer: 'files' },
      );
      const back = join(scratchDir('tree-files-back-'), 'copy');
      const got = await busybox.getTree(`${dir}/by-file`, back, files);
      assert.deepEqual({ ...got, skipped: got.skipped.length }, { ...sent, skipped: 0 });
      assert.deepEqual(await snapshot(back), await snapshot(source));
    });

    test('round-trips long and unicode names through GNU tar on Debian', async () => {
      const source = scratchDir('tree-gnu-');
      await buildTree(source, { folders: 2, subfolders: 2, files: 5 });
      const long = `${'long-name-'.repeat(15)}.txt`;
      await writeFile(join(source, 'd1', long), 'long');
      await writeFile(join(source, 'd1', 'ünï cødé ✓ %41.txt'), 'unicode');
      await mkdir(join(source, 'deep-folder-'.repeat(10), 'and', 'deeper'), {
        recursive: true,
      });
      const sent = await debian.putTree(source, `${dir}/gnu`);
      assert.equal(sent.transfer, 'tar');
      const back = join(scratchDir('tree-gnu-back-'), 'copy');
      await debian.getTree(`${dir}/gnu`, back);
      assert.deepEqual(await snapshot(back), await snapshot(source));
    });

    test('refuses a tree with a symlink out of it, by tar and per entry', async () => {
      await busybox.run([
        'sh',
        '-c',
        'mkdir -p "$1/inside" && echo ok > "$1/inside/file" && ' +
          'ln -s ../../../etc/passwd "$1/escape"',
        'sh',
        `${dir}/hostile`,
      ]);
      for (const transfer of ['tar', 'files'] as const) {
        const parent = scratchDir('hostile-');
        const error = await busybox
          .getTree(`${dir}/hostile`, join(parent, 'copy'), { transfer })
          .then(
            () => assert.fail(`the ${transfer} transfer unpacked an escaping link`),
            (caught: unknown) => caught,
          );
        assert.ok(error instanceof UnsafeTreeEntryError, String(error));
        assert.equal(error.code, 'LXDAPI_UNSAFE_TREE_ENTRY');
        assert.equal(error.operation, 'getTree');
        assert.equal(error.path, `${dir}/hostile`);
        assert.equal(error.destination, join(parent, 'copy'));
        assert.match(error.entry, /escape$/);
        assert.match(error.reason, /outside/);
        assert.deepEqual(await readdir(parent), ['copy']);
        await assert.rejects(lstat(join(parent, 'copy', 'escape')));
      }
    });

    test('names a missing or wrong source and a missing parent', async () => {
      const missing = await busybox.putTree('/no/such/folder', `${dir}/x`).then(
        () => assert.fail('a missing folder was sent'),
        (caught: unknown) => caught,
      );
      assert.ok(missing instanceof LocalFileError);
      assert.equal(missing.reason, 'ENOENT');
      assert.equal(missing.localPath, '/no/such/folder');

      const file = join(scratchDir('tree-file-'), 'a-file');
      await writeFile(file, 'x');
      const notFolder = await busybox
        .putTree(file, `${dir}/x`)
        .catch((caught: unknown) => caught);
      assert.ok(notFolder instanceof LocalFileError);
      assert.equal(notFolder.reason, 'ENOTDIR');

      const source = scratchDir('tree-parents-');
      await writeFile(join(source, 'one'), '1');
      const parent = await busybox
        .putTree(source, `${dir}/p/q/r`)
        .catch((caught: unknown) => caught);
      assert.ok(parent instanceof RemoteNotFoundError);
      assert.equal(parent.missing, `${dir}/p/q`);
      await busybox.putTree(source, `${dir}/p/q/r`, { createParents: true });
      assert.deepEqual(await busybox.readDir(`${dir}/p/q/r`), ['one']);

      const notDir = await busybox
        .getTree(`${dir}/p/q/r/one`, scratchDir('tree-not-dir-'))
        .catch((caught: unknown) => caught);
      assert.ok(notDir instanceof FileTypeError);
      assert.deepEqual([notDir.expected, notDir.actual], ['directory', 'file']);
      const gone = await busybox
        .getTree(`${dir}/nothing`, scratchDir('tree-gone-'))
        .catch((caught: unknown) => caught);
      assert.ok(gone instanceof RemoteNotFoundError);
      assert.equal(gone.missing, `${dir}/nothing`);
    });
  });
}

/**
 * Fills `root` with `folders` × `subfolders` × `files` small files of mixed modes,
 * one more with an awkward name, a symlink to a file and one to a folder, and
 * empty folders.
 */
async function buildTree(
  root: string,
  shape: { folders: number; subfolders: number; files: number },
): Promise<void> {
  const modes = [0o600, 0o644, 0o755, 0o640];
  const folderModes = [0o755, 0o750, 0o700];
  for (let d = 0; d < shape.folders; d += 1) {
    for (let e = 0; e < shape.subfolders; e += 1) {
      const folder = join(root, `d${d}`, `e${e}`);
      await mkdir(folder, { recursive: true });
      await Promise.all(
        Array.from({ length: shape.files }, async (_, f) => {
          const path = join(folder, `f${f}.txt`);
          const size = f % 7 === 0 ? 0 : 16 + ((d * 31 + f) % 200);
          await writeFile(path, randomBytes(size));
          await chmod(path, modes[(d + e + f) % modes.length] ?? 0o644);
        }),
      );
      await chmod(folder, folderModes[(d + e) % folderModes.length] ?? 0o755);
    }
  }
  await writeFile(join(root, 'd0', 'a name with spaces ü.txt'), 'awkward');
  await symlink('e0/f1.txt', join(root, 'd0', 'to-file'));
  await symlink('d0', join(root, 'latest'));
  await mkdir(join(root, 'empty'), { mode: 0o711 });
  await chmod(join(root, 'empty'), 0o711);
}

/** Every entry under `root` with its kind, mode, and content hash or link target. */
async function snapshot(root: string, rel = '', entries = new Map<string, string>()) {
  for (const name of (await readdir(join(root, rel))).sort()) {
    const child = rel === '' ? name : `${rel}/${name}`;
    const path = join(root, child);
    const found = await lstat(path);
    const mode = (found.mode & 0o7777).toString(8);
    if (found.isSymbolicLink()) {
      entries.set(child, `link -> ${await readlink(path)}`);
    } else if (found.isDirectory()) {
      entries.set(child, `folder ${mode}`);
      await snapshot(root, child, entries);
    } else {
      const hash = createHash('sha256')
        .update(await readFile(path))
        .digest('hex');
      entries.set(child, `file ${mode} ${hash}`);
    }
  }
  return entries;
}
