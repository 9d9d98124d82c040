// putFile, getFile, stat, readDir, mkdir, symlink and remove against the real LXD
// and Incus of the sandbox: exact bytes, flat memory, modes and owners, atomic
// replace, and a typed error for each way a transfer can fail.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createHash } from 'node:crypto';
import {
  lstat,
  mkdir,
  readdir,
  readFile,
  symlink,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';

import { AbortError } from '../../src/transport/errors.js';
import { connect } from '../../src/host/connect.js';
import {
  DirectoryNotEmptyError,
  FileExistsError,
  FileOptionError,
  FilePermissionError,
  FileSourceError,
  FileTypeError,
  LocalFileError,
  NoSpaceError,
  RemoteNotFoundError,
  RemotePathError,
} from '../../src/host/file-errors.js';
import type { Host } from '../../src/host/host.js';
import { UnknownGroupError } from '../../src/host/owners.js';
import { RemoteRegistry } from '../../src/host/remote-registry.js';
import { UnknownUserError } from '../../src/host/users.js';
import {
  generated,
  leftoverTemps,
  remoteSha256,
  sampleMemory,
  sha256,
  sha256File,
  writeGenerated,
} from '../helpers/files.js';
import { sandboxEnv, sandboxServers } from '../helpers/sandbox.js';
import { scratchDir } from '../helpers/scratch.js';

const env = sandboxEnv();
const MiB = 1024 * 1024;

for (const server of sandboxServers()) {
  describe(`host files on ${server.title}`, () => {
    const remotes = new RemoteRegistry();
    const dir = `/tmp/lxd-api-files-${randomBytes(4).toString('hex')}`;
    const full = `${dir}-full`;
    const local = scratchDir('files-');
    let host: Host;

    before(async () => {
      host = await connect(`${server.remotes.https}:${server.instances[1] ?? ''}`, {
        env,
        remotes,
      });
      await host.mkdir(dir);
    });
    after(async () => {
      await host.run([
        'sh',
        '-c',
        'umount "$1" 2>/dev/null; rmdir "$1" 2>/dev/null; :',
        'sh',
        full,
      ]);
      const temps = await host.run(['find', dir, '-name', '*.lxd-api-*']);
      assert.equal(temps.stdout, '', 'no temporary file is left in the instance');
      await host.remove(dir, { recursive: true });
      assert.deepEqual(
        (await readdir(local, { recursive: true })).filter((name) =>
          name.includes('.part'),
        ),
        [],
        'no partial download is left locally',
      );
      await host.disconnect();
      await remotes.close();
    });

    test('round-trips 0 B to 10 MiB exactly from every kind of source', async () => {
      for (const size of [0, 1, 65_536, 10 * MiB]) {
        const bytes = randomBytes(size);
        const text = bytes.toString('base64').slice(0, size);
        const stream = generated(size);
        const path = join(local, `source-${size}`);
        await writeFile(path, bytes);
        const sources = [
          { kind: 'path', source: path, expected: sha256(bytes) },
          { kind: 'bytes', source: bytes, expected: sha256(bytes) },
          { kind: 'text', source: { text }, expected: sha256(text) },
          { kind: 'stream', source: stream, expected: () => stream.digest() },
        ];
        for (const { kind, source, expected } of sources) {
          const remote = `${dir}/${kind}-${size}`;
          const put = await host.putFile(source, remote);
          const want = typeof expected === 'string' ? expected : expected();
          assert.equal(put.bytes, size, `${kind} ${size}: bytes sent`);
          assert.equal(
            await remoteSha256(host, remote),
            want,
            `${kind} ${size} in the instance`,
          );

          const back = join(local, `back-${kind}-${size}`);
          const got = await host.getFile(remote, back);
          assert.equal(await sha256File(back), want, `${kind} ${size} back again`);
          assert.deepEqual(
            {
              type: got.type,
              size: got.size,
              mode: got.mode,
              uid: got.uid,
              gid: got.gid,
            },
            { type: 'file', size, mode: 0o644, uid: 0, gid: 0 },
          );
          await host.remove(remote);
        }
      }
    });

    test('writes a download into a stream of the caller, which stays open', async () => {
      const bytes = randomBytes(65_536);
      await host.putFile(bytes, `${dir}/to-stream`);
      const hash = createHash('sha256');
      const sink = new Writable({
        write(chunk: Buffer, _encoding, done) {
          hash.update(chunk);
          done();
        },
      });
      const got = await host.getFile(`${dir}/to-stream`, sink);
      assert.equal(got.size, 65_536);
      assert.equal(sink.writableEnded, false);
      assert.equal(hash.digest('hex'), sha256(bytes));
    });

    test('streams 200 MiB up and down with memory far below the size', async (t) => {
      const size = 200 * MiB;
      const file = join(local, 'large');
      const expected = await writeGenerated(file, size);
      const stream = generated(size);
      const back = join(local, 'large-back');

      const baseline = process.memoryUsage.rss();
      const memory = sampleMemory();
      let started = performance.now();
      await host.putFile(file, `${dir}/large`);
      const putMs = performance.now() - started;
      await host.putFile(stream, `${dir}/large-stream`);
      started = performance.now();
      await host.getFile(`${dir}/large`, back);
      const getMs = performance.now() - started;
      const growth = memory.stop() - baseline;

      const rate = (ms: number) => Math.round((size / MiB / ms) * 1000);
      t.diagnostic(
        `put ${rate(putMs)} MiB/s, get ${rate(getMs)} MiB/s, ` +
          `resident memory +${Math.round(growth / MiB)} MiB`,
      );
      assert.ok(growth < 64 * MiB, `memory grew by ${Math.round(growth / MiB)} MiB`);
      assert.equal(await remoteSha256(host, `${dir}/large`), expected);
      assert.equal(await remoteSha256(host, `${dir}/large-stream`), stream.digest());
      assert.equal(await sha256File(back), expected);
      await Promise.all([
        host.remove(`${dir}/large`),
        host.remove(`${dir}/large-stream`),
        unlink(file),
        unlink(back),
      ]);
    });

    test('gives a new file 0644 root:root or the asked mode and owner', async () => {
      await host.putFile({ text: 'plain' }, `${dir}/new-plain`);
      await host.putFile({ text: 'owned' }, `${dir}/new-owned`, {
        mode: 0o600,
        uid: 1000,
        gid: 1000,
      });
      await host.putFile({ text: 'named' }, `${dir}/new-named`, {
        mode: 0o640,
        uid: 'app',
        gid: 'app',
      });
      assert.deepEqual(await owner(host, `${dir}/new-plain`), [0o644, 0, 0]);
      assert.deepEqual(await owner(host, `${dir}/new-owned`), [0o600, 1000, 1000]);
      assert.deepEqual(await owner(host, `${dir}/new-named`), [0o640, 1000, 1000]);
    });

    test('keeps the mode and owner of an existing file unless asked', async () => {
      const path = `${dir}/existing`;
      await host.putFile({ text: 'one' }, path, { mode: 0o600, uid: 1000, gid: 1000 });

      await host.putFile({ text: 'two' }, path, { mode: 0o640, uid: 0 });
      assert.deepEqual(await owner(host, path), [0o640, 0, 1000]);
      await host.putFile({ text: 'three' }, path);
      assert.deepEqual(await owner(host, path), [0o640, 0, 1000]);
      await host.putFile({ text: 'four' }, path, { atomic: true });
      assert.deepEqual(await owner(host, path), [0o640, 0, 1000]);
      await host.putFile({ text: 'five' }, path, {
        atomic: true,
        mode: 0o604,
        uid: 'app',
      });
      assert.deepEqual(await owner(host, path), [0o604, 1000, 1000]);
      assert.equal((await host.run(['cat', path])).stdout, 'five');
    });

    test('sets setuid, setgid and sticky bits, which the files API drops', async () => {
      const modes = async (...paths: string[]) =>
        String((await host.run(['stat', '-c', '%a', ...paths])).stdout).split('\n');
      await host.putFile({ text: 'x' }, `${dir}/setuid`, { mode: 0o4755 });
      await host.putFile({ text: 'x' }, `${dir}/setgid`, { mode: 0o2750, atomic: true });
      await host.mkdir(`${dir}/sticky`, { mode: 0o1777 });
      assert.deepEqual(await modes(`${dir}/setuid`, `${dir}/setgid`, `${dir}/sticky`), [
        '4755',
        '2750',
        '1777',
      ]);
      // An atomic replace that names no mode keeps the old file's special bits too.
      await host.putFile({ text: 'y' }, `${dir}/setuid`, { atomic: true });
      assert.deepEqual(await modes(`${dir}/setuid`), ['4755']);
    });

    test('names an unknown user or group, and refuses an impossible mode', async () => {
      const user = await rejection(
        host.putFile({ text: 'x' }, `${dir}/nobody`, { uid: 'no-such-user' }),
        UnknownUserError,
      );
      assert.equal(user.code, 'LXDAPI_UNKNOWN_USER');
      assert.equal(user.user, 'no-such-user');
      const group = await rejection(
        host.putFile({ text: 'x' }, `${dir}/nobody`, { gid: 'no-such-group' }),
        UnknownGroupError,
      );
      assert.equal(group.code, 'LXDAPI_UNKNOWN_GROUP');
      assert.equal(group.group, 'no-such-group');
      const mode = await rejection(
        host.putFile({ text: 'x' }, `${dir}/nobody`, { mode: 0o10000 }),
        FileOptionError,
      );
      assert.equal(mode.code, 'LXDAPI_FILE_OPTION');
      assert.equal(mode.option, 'mode');
      const uid = await rejection(
        host.putFile({ text: 'x' }, `${dir}/nobody`, { uid: -1 }),
        FileOptionError,
      );
      assert.equal(uid.option, 'uid');
      await rejection(host.stat(`${dir}/nobody`), RemoteNotFoundError);
    });

    test('creates three levels of parents, and names the missing one', async () => {
      await host.putFile({ text: 'deep' }, `${dir}/p1/p2/p3/file`, {
        createParents: true,
      });
      for (const level of ['p1', 'p1/p2', 'p1/p2/p3']) {
        const found = await host.stat(`${dir}/${level}`);
        assert.deepEqual([found.type, found.mode, found.uid], ['directory', 0o755, 0]);
      }
      assert.equal((await host.run(['cat', `${dir}/p1/p2/p3/file`])).stdout, 'deep');

      const error = await rejection(
        host.putFile({ text: 'x' }, `${dir}/q1/q2/file`),
        RemoteNotFoundError,
      );
      assert.equal(error.code, 'LXDAPI_FILE_NOT_FOUND');
      assert.equal(error.missing, `${dir}/q1/q2`);
      assert.equal(error.path, `${dir}/q1/q2/file`);
      assert.equal(error.operation, 'putFile');
      assert.equal(error.host, `${server.remotes.https}:${host.name}`);
      assert.match(error.message, /createParents: true/);

      await host.mkdir(`${dir}/m1/m2/m3`, { parents: true, mode: 0o700 });
      assert.deepEqual(await owner(host, `${dir}/m1/m2`), [0o755, 0, 0]);
      assert.deepEqual(await owner(host, `${dir}/m1/m2/m3`), [0o700, 0, 0]);
      await host.mkdir(`${dir}/m1/m2/m3`, { mode: 0o750, gid: 'app' });
      assert.deepEqual(await owner(host, `${dir}/m1/m2/m3`), [0o750, 0, 1000]);
      const missing = await rejection(host.mkdir(`${dir}/n1/n2`), RemoteNotFoundError);
      assert.equal(missing.missing, `${dir}/n1`);
    });

    test('handles paths with spaces, unicode and percent signs', async () => {
      const folder = `${dir}/a folder with spaces`;
      const name = 'ünïcødé ✓ 100%25 %41%.txt';
      const path = `${folder}/${name}`;
      await host.putFile({ text: 'awkward' }, path, {
        createParents: true,
        atomic: true,
      });
      assert.deepEqual(await host.readDir(folder), [name]);
      assert.equal((await host.stat(path)).size, 7);
      const back = join(local, name);
      await host.getFile(path, back);
      assert.equal(await readFile(back, 'utf8'), 'awkward');
      await host.symlink(name, `${folder}/link %2F ✓`);
      assert.equal((await host.stat(`${folder}/link %2F ✓`)).target, path);
      await host.remove(folder, { recursive: true });
    });

    test('shows a polling reader only whole files in an atomic replace', async () => {
      const path = `${dir}/atomic`;
      const old = randomBytes(4 * MiB);
      const fresh = randomBytes(8 * MiB);
      await host.putFile(old, path);

      const seen: string[] = [];
      const state = { replacing: true };
      const reader = (async () => {
        while (state.replacing) seen.push(await remoteSha256(host, path));
      })();
      await host.putFile(slowly(fresh, 400 * 1024, 40), path, { atomic: true });
      state.replacing = false;
      await reader;

      const allowed = new Set([sha256(old), sha256(fresh)]);
      assert.ok(
        seen.length >= 3,
        `the reader read ${seen.length} times during the upload`,
      );
      assert.ok(
        seen.every((hash) => allowed.has(hash)),
        'a partial file was seen',
      );
      assert.equal(seen[0], sha256(old));
      assert.equal(await remoteSha256(host, path), sha256(fresh));
      assert.deepEqual(await leftoverTemps(host, dir), []);
    });

    test('keeps the old file and no temporary one after a failed upload', async () => {
      const path = `${dir}/kept`;
      const old = randomBytes(MiB);
      await host.putFile(old, path, { mode: 0o640 });

      const failing = new Readable({ read() {} });
      failing.push(randomBytes(MiB));
      setTimeout(() => {
        failing.destroy(new Error('the disk was unplugged'));
      }, 50);
      const failed = await rejection(
        host.putFile(failing, path, { atomic: true }),
        FileSourceError,
      );
      assert.equal(failed.code, 'LXDAPI_FILE_SOURCE');
      assert.equal(failed.bytes, MiB);
      assert.equal(failed.path, path);
      assert.match(failed.message, /the disk was unplugged/);

      const controller = new AbortController();
      setTimeout(() => {
        controller.abort();
      }, 200);
      const aborted = await rejection(
        host.putFile(slowly(randomBytes(4 * MiB), 256 * 1024, 50), path, {
          atomic: true,
          signal: controller.signal,
        }),
        AbortError,
      );
      assert.equal(aborted.code, 'LXDAPI_ABORTED');

      assert.equal(await remoteSha256(host, path), sha256(old));
      assert.deepEqual(await owner(host, path), [0o640, 0, 0]);
      assert.deepEqual(await leftoverTemps(host, dir), []);
    });

    test('refuses relative paths and NUL bytes before sending anything', async () => {
      const before = host.api.transport.stats.requests;
      const relative = await rejection(
        host.putFile({ text: 'x' }, 'etc/app.conf'),
        RemotePathError,
      );
      assert.equal(relative.code, 'LXDAPI_REMOTE_PATH');
      assert.equal(relative.path, 'etc/app.conf');
      assert.match(relative.message, /is relative.*`\/root\/etc\/app\.conf`/);
      const nul = await rejection(
        host.getFile('/tmp/a\0b', join(local, 'x')),
        RemotePathError,
      );
      assert.match(nul.message, /NUL/);
      await rejection(host.stat(''), RemotePathError);
      await rejection(host.remove('/'), RemotePathError);
      assert.equal(host.api.transport.stats.requests, before);
    });

    test('names a missing source, and a folder or file in the wrong place', async () => {
      const missing = await rejection(
        host.putFile(join(local, 'no-such-file'), `${dir}/never`),
        LocalFileError,
      );
      assert.equal(missing.code, 'LXDAPI_LOCAL_FILE');
      assert.equal(missing.reason, 'ENOENT');
      assert.equal(missing.localPath, join(local, 'no-such-file'));
      const folder = await rejection(host.putFile(local, `${dir}/x`), LocalFileError);
      assert.equal(folder.reason, 'EISDIR');
      await rejection(host.stat(`${dir}/never`), RemoteNotFoundError);

      await host.mkdir(`${dir}/a-dir`);
      await host.putFile({ text: 'x' }, `${dir}/a-file`);
      for (const attempt of [
        () => host.putFile({ text: 'x' }, `${dir}/a-dir`),
        () => host.putFile({ text: 'x' }, `${dir}/a-dir`, { atomic: true }),
        () => host.getFile(`${dir}/a-dir`, join(local, 'a-dir')),
      ]) {
        const error = await rejection(attempt(), FileTypeError);
        assert.equal(error.code, 'LXDAPI_FILE_TYPE');
        assert.deepEqual([error.expected, error.actual], ['file', 'directory']);
      }
      for (const attempt of [
        () => host.readDir(`${dir}/a-file`),
        () => host.mkdir(`${dir}/a-file`),
      ]) {
        const error = await rejection(attempt(), FileTypeError);
        assert.deepEqual([error.expected, error.actual], ['directory', 'file']);
      }
      const under = await rejection(
        host.putFile({ text: 'x' }, `${dir}/a-file/below`),
        FileTypeError,
      );
      assert.equal(under.expected, 'directory');
      const intoFolder = await rejection(
        host.getFile(`${dir}/a-file`, local),
        LocalFileError,
      );
      assert.equal(intoFolder.reason, 'EISDIR');
    });

    test('reports a permission refusal and a full disk as typed errors', async () => {
      const refused = await rejection(
        host.putFile({ text: 'x' }, '/proc/version'),
        FilePermissionError,
      );
      assert.equal(refused.code, 'LXDAPI_FILE_PERMISSION');
      assert.equal(refused.path, '/proc/version');

      await host.run([
        'sh',
        '-c',
        'mkdir -p "$1" && mount -t tmpfs -o size=64k tmpfs "$1"',
        'sh',
        full,
      ]);
      for (const atomic of [false, true]) {
        const error = await rejection(
          host.putFile(randomBytes(MiB), `${full}/big`, { atomic }),
          NoSpaceError,
        );
        assert.equal(error.code, 'LXDAPI_NO_SPACE');
        assert.equal(error.path, `${full}/big`);
        assert.equal(error.host, `${server.remotes.https}:${host.name}`);
      }
      assert.deepEqual(await leftoverTemps(host, full), []);
    });

    test('replaces a symlink planted at the destination, not following it', async () => {
      await host.putFile({ text: 'from the instance' }, `${dir}/planted`);
      const victim = join(local, 'victim');
      const destination = join(local, 'planted');
      await writeFile(victim, 'keep me');
      await symlink(victim, destination);
      await host.getFile(`${dir}/planted`, destination);
      assert.equal((await lstat(destination)).isFile(), true);
      assert.equal(await readFile(destination, 'utf8'), 'from the instance');
      assert.equal(await readFile(victim, 'utf8'), 'keep me');
    });

    test('keeps the old local file and no partial one after an abort', async () => {
      await host.putFile(generated(64 * MiB), `${dir}/interrupted`);
      const folder = join(local, 'interrupted');
      await mkdir(folder);
      const destination = join(folder, 'file');
      await writeFile(destination, 'old');
      const controller = new AbortController();
      // Abort as soon as the partial file appears: the download is under way.
      const watcher = (async () => {
        while (!(await readdir(folder)).some((name) => name.endsWith('.part')))
          await sleep(1);
        controller.abort();
      })();
      const error = await rejection(
        host.getFile(`${dir}/interrupted`, destination, { signal: controller.signal }),
        AbortError,
      );
      await watcher;
      assert.equal(error.code, 'LXDAPI_ABORTED');
      assert.equal(await readFile(destination, 'utf8'), 'old');
      assert.deepEqual(await readdir(folder), ['file']);
      await host.remove(`${dir}/interrupted`);
    });

    test('reads, follows and removes a symlink, leaving its target', async () => {
      await host.putFile({ text: 'target' }, `${dir}/links/target`, {
        createParents: true,
      });
      await host.symlink('target', `${dir}/links/to-file`);
      await host.symlink('.', `${dir}/links/to-dir`);
      const link = await host.stat(`${dir}/links/to-file`);
      assert.deepEqual([link.type, link.target], ['symlink', `${dir}/links/target`]);
      const got = await host.getFile(`${dir}/links/to-file`, join(local, 'via-link'));
      assert.equal(got.path, `${dir}/links/target`);
      assert.equal(await readFile(join(local, 'via-link'), 'utf8'), 'target');
      assert.deepEqual(await host.readDir(`${dir}/links/to-dir`), [
        'target',
        'to-dir',
        'to-file',
      ]);

      const exists = await rejection(
        host.symlink('elsewhere', `${dir}/links/to-file`),
        FileExistsError,
      );
      assert.equal(exists.code, 'LXDAPI_FILE_EXISTS');
      await host.remove(`${dir}/links/to-file`);
      assert.equal((await host.stat(`${dir}/links/target`)).type, 'file');
    });

    test('removes files and folders, recursively when asked', async () => {
      await host.putFile({ text: 'x' }, `${dir}/doomed/a/b`, { createParents: true });
      const full = await rejection(host.remove(`${dir}/doomed`), DirectoryNotEmptyError);
      assert.equal(full.code, 'LXDAPI_DIRECTORY_NOT_EMPTY');
      assert.match(full.message, /recursive: true/);
      await host.remove(`${dir}/doomed/a/b`);
      await host.remove(`${dir}/doomed/a`);
      await host.putFile({ text: 'x' }, `${dir}/doomed/a/b`, { createParents: true });
      await host.remove(`${dir}/doomed`, { recursive: true });
      const gone = await rejection(host.remove(`${dir}/doomed`), RemoteNotFoundError);
      assert.equal(gone.missing, `${dir}/doomed`);
      await host.remove(`${dir}/doomed`, { force: true });
    });
  });
}

async function owner(host: Host, path: string): Promise<[number, number, number]> {
  const found = await host.stat(path);
  return [found.mode, found.uid, found.gid];
}

async function rejection<T extends Error>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => T,
): Promise<T> {
  const error = await promise.then(
    () => assert.fail(`expected a ${type.name}, but it resolved`),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof type, `expected a ${type.name}, got ${String(error)}`);
  return error;
}

// A stream of `bytes` in chunks of `chunk` bytes, one every `everyMs` milliseconds.
function slowly(bytes: Buffer, chunk: number, everyMs: number): Readable {
  return Readable.from(
    (async function* () {
      for (let at = 0; at < bytes.length; at += chunk) {
        await sleep(everyMs);
        yield bytes.subarray(at, at + chunk);
      }
    })(),
  );
}
