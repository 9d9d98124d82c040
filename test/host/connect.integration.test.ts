// connect() against the sandbox's real LXD and Incus: remotes of every kind, the
// errors a user meets, and the sharing of one connection between hosts.
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { AuthenticationError, NotFoundError } from '../../src/api/errors.js';
import { connect } from '../../src/host/connect.js';
import { InstanceStateError } from '../../src/host/errors.js';
import { RemoteRegistry } from '../../src/host/remote-registry.js';
import { CertificateError } from '../../src/transport/errors.js';
import { makeCertPair, opensslFingerprint } from '../helpers/certs.js';
import { assertMentions } from '../helpers/errors.js';
import {
  credentials,
  sandboxClient,
  sandboxEnv,
  sandboxServers,
} from '../helpers/sandbox.js';

const env = sandboxEnv();
const versions = { lxd: '5.0.2', incus: '6.0.4' } as const;

for (const server of sandboxServers()) {
  const family = server.kind === 'lxd' ? '@lxd_api' : '@incus_api';
  const [first, second] = server.instances as [string, string];
  const stopped = 'stopped-probe';

  describe(`connect() to ${server.title}`, () => {
    const remotes = new RemoteRegistry();
    after(() => remotes.close());

    before(async () => {
      await sandboxClient(server, ['delete', '--force', stopped]).catch(() => undefined);
      await sandboxClient(server, ['init', 'lxd-api-busybox', stopped]);
    });
    after(() => sandboxClient(server, ['delete', '--force', stopped]));

    test('reaches an instance of the default remote over HTTPS', async () => {
      const host = await connect(`${family}/${first}`, { env, remotes });
      try {
        assert.equal(host.remote.name, server.remotes.https);
        assert.equal(host.remote.address.kind, 'https');
        assert.equal(host.project, server.project);
        assert.equal(host.name, first);
        assert.equal(host.instance.status, 'Running');
        assert.equal(host.facts.kind, server.kind);
        assert.equal(host.facts.version, versions[server.kind]);
        assert.equal(
          host.facts.execOutputDir,
          server.kind === 'lxd' ? '' : 'exec-output/',
        );
        assert.ok(host.facts.extensions.has('container_exec_recording'));
      } finally {
        await host.disconnect();
      }
    });

    test('reaches an instance over the unix socket remote', async () => {
      const host = await connect(`${server.remotes.unix}:${second}`, { env, remotes });
      try {
        assert.equal(host.remote.address.kind, 'unix');
        assert.equal(host.facts.kind, server.kind);
        assert.equal(host.instance.name, second);
      } finally {
        await host.disconnect();
      }
    });

    test("looks instances up in the remote's project, or in the one asked for", async () => {
      const [other] = server.otherInstances as [string];
      const host = await connect(`${server.remotes.other}:${other}`, { env, remotes });
      await host.disconnect();
      assert.equal(host.project, server.otherProject);

      const wrong = await connect(`${server.remotes.https}:${other}`, {
        env,
        remotes,
      }).then(
        () => assert.fail('an instance of another project was found'),
        (error: unknown) => error,
      );
      assert.ok(wrong instanceof NotFoundError);
      assert.equal(wrong.code, 'LXDAPI_NOT_FOUND');
      assertMentions(wrong.message, [other, server.remotes.https, server.project]);

      const project = server.otherProject;
      const moved = await connect(`${server.remotes.https}:${other}`, {
        env,
        remotes,
        project,
      });
      await moved.disconnect();
      assert.equal(moved.project, project);
    });

    test('refuses a stopped instance and says how to start it', async () => {
      const error = await connect(`${server.remotes.https}:${stopped}`, {
        env,
        remotes,
      }).then(
        () => assert.fail('connected to a stopped instance'),
        (caught: unknown) => caught,
      );
      assert.ok(error instanceof InstanceStateError);
      assert.equal(error.code, 'LXDAPI_INSTANCE_NOT_RUNNING');
      assert.equal(error.status, 'Stopped');
      assert.equal(error.instance, stopped);
      assert.equal(error.project, server.project);
      assertMentions(error.message, [stopped, 'Stopped', `${server.client} start`]);
    });

    test('names a missing instance, its remote and its project', async () => {
      const error = await connect(`${server.remotes.https}:no-such-1`, {
        env,
        remotes,
      }).then(
        () => assert.fail('connected to a missing instance'),
        (caught: unknown) => caught,
      );
      assert.ok(error instanceof NotFoundError);
      assert.equal(error.status, 404);
      assert.equal(error.remote, server.remotes.https);
      assertMentions(error.message, [
        'no-such-1',
        server.project,
        `${server.client} list`,
      ]);
    });

    test('refuses a server whose certificate is not the pinned one', async () => {
      const dir = await copyConfig(server.confDir);
      try {
        const impostor = makeCertPair('impostor');
        await writeFile(
          join(dir, 'servercerts', `${server.remotes.https}.crt`),
          impostor.cert,
        );
        const error = await connect(`${server.remotes.https}:${first}`, {
          env: { ...env, [server.confVariable]: dir },
        }).then(
          () => assert.fail('accepted a server certificate that is not pinned'),
          (caught: unknown) => caught,
        );
        assert.ok(error instanceof CertificateError, String(error));
        assert.equal(error.code, 'LXDAPI_CERTIFICATE');
        assert.equal(error.sent, 'no');
        assert.equal(error.expected, opensslFingerprint(impostor.cert));
        const real = credentials(server, server.remotes.https).pinned.toString();
        assert.equal(error.actual, opensslFingerprint(real));
        assertMentions(error.message, [error.expected, error.actual, 'remote remove']);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    test('says so when the server does not trust our client certificate', async () => {
      const dir = await copyConfig(server.confDir);
      try {
        const stranger = makeCertPair('stranger');
        await writeFile(join(dir, 'client.crt'), stranger.cert);
        await writeFile(join(dir, 'client.key'), stranger.key);
        const error = await connect(`${server.remotes.https}:${first}`, {
          env: { ...env, [server.confVariable]: dir },
        }).then(
          () => assert.fail('an untrusted client was let in'),
          (caught: unknown) => caught,
        );
        assert.ok(error instanceof AuthenticationError, String(error));
        assert.equal(error.code, 'LXDAPI_UNTRUSTED');
        assert.equal(error.remote, server.remotes.https);
        assertMentions(error.message, [
          opensslFingerprint(stranger.cert),
          `${server.client} config trust add`,
        ]);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    test('shares one connection between two hosts of a remote', async () => {
      const shared = new RemoteRegistry();
      const a = await connect(`${server.remotes.https}:${first}`, {
        env,
        remotes: shared,
      });
      const stats = a.api.transport.stats;
      // GET /1.0, the instance, and the cluster's members (refused here: no cluster).
      assert.equal(stats.requests, 3);

      const b = await connect(`${server.remotes.https}:${second}`, {
        env,
        remotes: shared,
      });
      assert.equal(b.api.transport, a.api.transport);
      assert.equal(stats.connects, 1);
      assert.equal(stats.handshakes, 1);
      assert.equal(stats.requests, 4, 'the second host costs one request');

      await a.disconnect();
      assert.equal(shared.size, 1, 'the remote stays open while a host uses it');
      await b.disconnect();
      assert.equal(shared.size, 0, 'the last host closes the remote');
    });

    test('sends all requests of a cold connect before the first answer', async () => {
      const events: string[] = [];
      const onSend = (message: unknown) => {
        events.push(`send ${(message as { request: { path: string } }).request.path}`);
      };
      const onHeaders = (message: unknown) => {
        events.push(`answer ${(message as { request: { path: string } }).request.path}`);
      };
      subscribe('undici:client:sendHeaders', onSend);
      subscribe('undici:request:headers', onHeaders);
      const host = await connect(`${server.remotes.https}:${first}`, {
        env,
        remotes: new RemoteRegistry(),
      });
      unsubscribe('undici:client:sendHeaders', onSend);
      unsubscribe('undici:request:headers', onHeaders);
      await host.disconnect();

      const instancePath = `/1.0/instances/${first}?project=${server.project}`;
      assert.deepEqual(events.slice(0, 3), [
        'send /1.0',
        `send ${instancePath}`,
        'send /1.0/cluster/members?recursion=1',
      ]);
      assert.equal(events.length, 6);
    });
  });
}

async function copyConfig(dir: string): Promise<string> {
  const copy = await mkdtemp(join(tmpdir(), 'lxd-api-conf-'));
  await cp(dir, copy, { recursive: true });
  return copy;
}
