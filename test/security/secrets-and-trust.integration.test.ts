// Security, against the sandbox's real servers where a server is involved: an
// unpinned self-signed certificate is refused before any request goes out; private
// keys, trust tokens and --env values never appear in errors or debug output; and
// a tree download never writes through a symlink planted in its destination.
import assert from 'node:assert/strict';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import { resolveHost } from '../../src/config/resolve.js';
import { decodeTrustToken } from '../../src/enrol/trust-token.js';
import { LxdApiError } from '../../src/errors.js';
import { connect } from '../../src/host/connect.js';
import { RemoteRegistry } from '../../src/host/remote-registry.js';
import { CertificateError } from '../../src/transport/errors.js';
import { makeCertPair } from '../helpers/certs.js';
import { lxdApi } from '../helpers/cli.js';
import { makeConfigFixture } from '../helpers/config-fixture.js';
import { FaultProxy } from '../helpers/fault-proxy.js';
import { proxiedConfig } from '../helpers/proxied-config.js';
import { sandboxEnv, sandboxServers } from '../helpers/sandbox.js';
import { scratchDir } from '../helpers/scratch.js';

const [lxd] = sandboxServers();

describe('security', () => {
  test('a self-signed server certificate that is not pinned is refused before any request', async () => {
    assert.ok(lxd);
    const proxy = await FaultProxy.start(lxd);
    const confDir = await proxiedConfig(lxd, proxy.port);
    // No pin at all: the system CAs decide, and none signed the proxy's certificate.
    rmSync(join(confDir, 'servercerts', `${lxd.remotes.https}.crt`));
    const remotes = new RemoteRegistry();
    try {
      const error = await connect(`${lxd.remotes.https}:${lxd.instances[0] ?? ''}`, {
        env: { ...sandboxEnv(), [lxd.confVariable]: confDir },
        remotes,
      }).catch((e: unknown) => e);
      assert.ok(error instanceof CertificateError, String(error));
      assert.equal(error.code, 'LXDAPI_CERTIFICATE');
      assert.equal(error.sent, 'no');
      assert.match(error.message, /not trusted/);
      assert.ok(error.actual !== undefined && error.message.includes(error.actual));
      assert.deepEqual(proxy.seen, [], 'a request reached the server');
    } finally {
      await remotes.close();
      await proxy.close();
    }
  });

  test('errors about a client key never show the key', () => {
    const pair = makeCertPair('client');
    const body = pair.key.split('\n').slice(1, -2).join('');
    for (const key of [makeCertPair('other').key, `${pair.key.slice(0, 200)}garbage`]) {
      const fixture = makeConfigFixture();
      fixture.write(
        join(fixture.lxdDir, 'config.yml'),
        'default-remote: prod\nremotes:\n  prod:\n    addr: https://10.0.0.5:8443\n',
      );
      fixture.write(join(fixture.lxdDir, 'client.crt'), pair.cert);
      fixture.write(join(fixture.lxdDir, 'client.key'), key);
      let message = '';
      try {
        resolveHost('prod:web-1', fixture.options());
      } catch (error) {
        assert.ok(error instanceof LxdApiError, String(error));
        message = error.message;
      }
      assert.ok(message.includes('client.key'), message);
      assert.doesNotMatch(message, /PRIVATE KEY|BEGIN/);
      for (const piece of [body.slice(0, 24), key.split('\n')[1]?.slice(0, 24) ?? '']) {
        assert.ok(!message.includes(piece), `key material in: ${message}`);
      }
    }
  });

  test('a trust token that cannot be used is never echoed, nor its secret', () => {
    const secret = 'b7c0ffee1234secretvalue5678';
    const token = Buffer.from(
      JSON.stringify({ client_name: 'x', secret, addresses: ['10.0.0.5:8443'] }),
    ).toString('base64');
    let message = '';
    try {
      decodeTrustToken(token);
    } catch (error) {
      assert.ok(error instanceof LxdApiError, String(error));
      message = error.message;
    }
    assert.match(message, /not a usable trust token/);
    assert.ok(
      !message.includes(secret) && !message.includes(token.slice(0, 16)),
      message,
    );
  });

  test('--env values appear neither in debug logs nor in errors, also when the command fails', async () => {
    const secret = 'hunter2-do-not-print';
    for (const command of ['true', 'echo nope >&2; exit 4']) {
      const { code, stderr } = await lxdApi(
        ['--debug', 'exec', 'lxd:web-1', '--env', `TOKEN=${secret}`, '--', command],
        { env: { NODE_DEBUG: 'lxdapi*' } },
      );
      assert.equal(code, command === 'true' ? 0 : 1, stderr);
      assert.match(stderr, /LXDAPI:TRANSPORT|debug: POST/, 'no debug output was made');
      assert.ok(!stderr.includes(secret), `the value was printed:\n${stderr}`);
    }
  });

  test('a tree download never writes through a symlink planted in its destination', async () => {
    assert.ok(lxd);
    const remotes = new RemoteRegistry();
    const host = await connect(`${lxd.remotes.https}:${lxd.instances[0] ?? ''}`, {
      env: sandboxEnv(),
      remotes,
    });
    const remoteDir = `/tmp/lxd-api-security-tree-${process.pid}`;
    try {
      await host.putFile({ text: 'payload' }, `${remoteDir}/sub/file`, {
        createParents: true,
      });
      const local = scratchDir('planted-');
      const outside = scratchDir('outside-');
      mkdirSync(local, { recursive: true });
      symlinkSync(outside, join(local, 'sub'));

      const outcome = await host.getTree(remoteDir, local).catch((e: unknown) => e);
      if (outcome instanceof Error) {
        assert.ok(outcome instanceof LxdApiError, String(outcome));
      } else {
        // The planted link was replaced by a real folder, which holds the file.
        assert.ok(!lstatSync(join(local, 'sub')).isSymbolicLink());
        assert.ok(existsSync(join(local, 'sub', 'file')));
      }
      assert.deepEqual(readdirSync(outside), [], 'a file was written outside');
      assert.ok(!existsSync(join(outside, 'file')));
    } finally {
      await host.run(['rm', '-rf', remoteDir]);
      await remotes.close();
    }
  });
});
