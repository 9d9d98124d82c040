// The typed files API against the real LXD and Incus: what GET, POST and DELETE
// answer, read through both header families, and a stat that downloads nothing.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { NotFoundError } from '../../src/api/errors.js';
import { deleteFile, readFile, statFile, writeFile } from '../../src/api/files.js';
import { connect } from '../../src/host/connect.js';
import type { Host } from '../../src/host/host.js';
import { RemoteRegistry } from '../../src/host/remote-registry.js';
import { generated } from '../helpers/files.js';
import { sandboxEnv, sandboxServers } from '../helpers/sandbox.js';

const env = sandboxEnv();

for (const server of sandboxServers()) {
  describe(`files API on ${server.title}`, () => {
    const remotes = new RemoteRegistry();
    const dir = `/tmp/lxd-api-files-api-${randomBytes(4).toString('hex')}`;
    let host: Host;

    before(async () => {
      host = await connect(`${server.remotes.https}:${server.instances[0] ?? ''}`, {
        env,
        remotes,
      });
      await writeFile(host.api, host.facts, host.name, dir, Buffer.alloc(0), {
        type: 'directory',
        mode: 0o755,
      });
    });
    after(async () => {
      await host.remove(dir, { recursive: true });
      await host.disconnect();
      await remotes.close();
    });

    test('writes the mode and owner as octal headers, and reads them back', async () => {
      const { api, facts, name } = host;
      await writeFile(api, facts, name, `${dir}/owned`, Buffer.from('abc'), {
        type: 'file',
        mode: 0o640,
        uid: 1000,
        gid: 1000,
      });
      const meta = await statFile(api, name, `${dir}/owned`);
      assert.deepEqual(
        [meta.type, meta.mode, meta.uid, meta.gid, meta.size],
        ['file', 0o640, 1000, 1000, 3],
      );
      assert.ok(meta.modified instanceof Date);
    });

    test('lists a folder, reads a symlink as its target, streams a file', async () => {
      const { api, facts, name } = host;
      await writeFile(api, facts, name, `${dir}/link`, Buffer.from('owned'), {
        type: 'symlink',
      });
      const listing = await readFile(api, name, dir);
      assert.equal(listing.kind, 'listing');
      assert.deepEqual(listing.entries.sort(), ['link', 'owned']);
      const link = await readFile(api, name, `${dir}/link`);
      assert.equal(link.meta.type, 'symlink');
      const target = link.kind === 'content' ? await link.body.text() : '';
      assert.equal(target, `${dir}/owned`);
      const file = await readFile(api, name, `${dir}/owned`);
      assert.equal(file.kind === 'content' ? await file.body.text() : '', 'abc');
    });

    test('stats a 64 MiB file without downloading it or losing a socket', async () => {
      const { api, name } = host;
      await host.putFile(generated(64 * 1024 * 1024), `${dir}/large`);
      await statFile(api, name, `${dir}/owned`);
      const connects = api.transport.stats.connects;
      const started = performance.now();
      const meta = await statFile(api, name, `${dir}/large`);
      const elapsed = performance.now() - started;
      assert.equal(meta.size, 64 * 1024 * 1024);
      assert.equal(api.transport.stats.connects, connects, 'the socket was kept');
      assert.ok(elapsed < 200, `the lookup took ${Math.round(elapsed)} ms`);
      const empty = `${dir}/empty`;
      await host.putFile(Buffer.alloc(0), empty);
      assert.equal((await statFile(api, name, empty)).size, 0);
      assert.equal((await statFile(api, name, dir)).type, 'directory');
      assert.equal(api.transport.stats.connects, connects, 'no answer cost the socket');
    });

    test('deletes a file, and answers a missing one with NotFoundError', async () => {
      const { api, name } = host;
      await deleteFile(api, name, `${dir}/owned`);
      const error = await statFile(api, name, `${dir}/owned`).catch(
        (caught: unknown) => caught,
      );
      assert.ok(error instanceof NotFoundError);
      assert.equal(error.status, 404);
      assert.equal(error.code, 'LXDAPI_NOT_FOUND');
    });
  });
}
