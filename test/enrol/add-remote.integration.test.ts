// Enrolment against the sandbox's real servers: a token from each server, a fresh
// config folder, a command run through the new remote, and the real clients and
// this library reading each other's remotes.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  addRemote,
  addRemoteWithToken,
  type AddedRemote,
} from '../../src/enrol/index.js';
import {
  getDefaultRemote,
  listRemotes,
  removeRemote,
  switchRemote,
} from '../../src/config/index.js';
import { connect, sharedRemotes } from '../../src/host/index.js';
import { freshMachine, type FreshMachine } from '../helpers/enrol.js';
import { sandboxServers } from '../helpers/sandbox.js';
import {
  alterToken,
  makeToken,
  removeTestTrust,
  trustedCertificates,
} from '../helpers/trust.js';

const servers = sandboxServers();

after(async () => {
  await sharedRemotes.close();
  for (const server of servers) await removeTestTrust(server);
});

for (const server of servers) {
  const prefix = server.kind === 'lxd' ? '@lxd_api' : '@incus_api';
  const protocol = server.kind;
  const addr = `https://${server.httpsAddress}`;

  describe(`enrolling with ${server.title} through a trust token`, () => {
    const machine: FreshMachine = freshMachine();
    let added: AddedRemote;
    let trustName: string;

    before(async () => {
      const { token, name } = await makeToken(server);
      trustName = name;
      // A dead address first: the addresses are tried in order.
      const withDead = alterToken(token, {
        addresses: ['127.0.0.1:1', server.httpsAddress],
      });
      added = await addRemoteWithToken('ours', withDead, {
        ...machine.options,
        project: server.project,
      });
    });

    test('writes the remote as the real client writes it, from an empty folder', () => {
      assert.equal(added.family, server.kind);
      assert.equal(added.configFile, join(machine.dirFor(server), 'config.yml'));
      assert.deepEqual(machine.configOf(server).remotes.ours, {
        addr,
        auth_type: 'tls',
        project: server.project,
        protocol,
        public: false,
      });
      assert.equal(machine.configOf(server)['default-remote'], 'local');
      assert.equal(added.project, server.project);
      assert.equal(added.server.kind, server.kind);
      assert.equal(added.tokenUsed, true);
      assert.equal(added.generatedCertificate, true);
      assert.deepEqual(
        added.unreachable.map((each) => [each.address, each.code]),
        [['https://127.0.0.1:1', 'ECONNREFUSED']],
      );
      // The other client's folder is left alone.
      const other = server.kind === 'lxd' ? machine.incusDir : machine.lxcDir;
      assert.equal(existsSync(other), false);
    });

    test('pins the certificate the token names; trusts a new P-384 client', async () => {
      const dir = machine.dirFor(server);
      const pin = readFileSync(join(dir, 'servercerts/ours.crt'));
      const pinned = new X509Certificate(pin);
      const fingerprint = pinned.fingerprint256.replaceAll(':', '').toLowerCase();
      assert.equal(fingerprint, added.serverFingerprint);
      assert.equal(added.pinned, true);

      const client = new X509Certificate(readFileSync(join(dir, 'client.crt')));
      assert.equal(client.publicKey.asymmetricKeyDetails?.namedCurve, 'secp384r1');
      assert.equal(statSync(join(dir, 'client.key')).mode & 0o777, 0o600);
      const trusted = await trustedCertificates(server);
      assert.equal(trusted.get(added.clientFingerprint), trustName);
    });

    test('runs a command through the new remote with this library', async () => {
      const host = await connect(`${prefix}/ours:web-1`, machine.options);
      const { stdout } = await host.run('hostname');
      assert.equal(stdout, 'web-1');
    });

    test(`lets the real ${server.client} list the remote and exec`, async () => {
      const list = await machine.client(server, ['remote', 'list', '--format', 'csv']);
      assert.match(
        list,
        new RegExp(`^ours,${addr.replaceAll('.', '\\.')},${protocol},tls`, 'm'),
      );
      const out = await machine.client(server, ['exec', 'ours:web-1', '--', 'hostname']);
      assert.equal(out.trim(), 'web-1');
    });

    test('adds a remote by URL for a server that trusts this client', async () => {
      const url = addr.replace('https://', '');
      const byUrl = await addRemote('by-url', url, {
        ...machine.options,
        acceptCertificate: added.serverFingerprint.replace(/(..)(?!$)/gu, '$1:'),
        project: server.otherProject,
      });
      assert.equal(byUrl.tokenUsed, undefined);
      assert.equal(byUrl.pinned, true);
      assert.equal(byUrl.generatedCertificate, false);
      assert.equal(byUrl.clientFingerprint, added.clientFingerprint);
      const host = await connect(`${prefix}/by-url:other-1`, machine.options);
      assert.equal((await host.run('hostname')).stdout, 'other-1');
    });
  });

  describe(`reading a remote that the real ${server.client} added`, () => {
    test('lists, uses, switches to and removes it, and the client agrees', async () => {
      const machine = freshMachine();
      const { token } = await makeToken(server);
      await machine.client(server, [
        'remote',
        'add',
        'theirs',
        token,
        '--accept-certificate',
        '--project',
        server.project,
      ]);

      const listed = listRemotes({ ...machine.options, family: server.kind });
      const theirs = listed.find((remote) => remote.name === 'theirs');
      assert.deepEqual(
        theirs && [theirs.addr, theirs.project, theirs.protocol, theirs.source],
        [addr, server.project, protocol, 'user'],
      );
      const host = await connect(`${prefix}/theirs:web-2`, machine.options);
      assert.equal((await host.run('hostname')).stdout, 'web-2');

      switchRemote('theirs', machine.options);
      const getDefault = await machine.client(server, ['remote', 'get-default']);
      assert.equal(getDefault.trim(), 'theirs');
      assert.equal(getDefault.trim(), getDefaultRemote(machine.options).name);

      switchRemote('local', { ...machine.options, family: server.kind });
      const removed = removeRemote('theirs', machine.options);
      assert.equal(
        removed.serverCertificate,
        join(machine.dirFor(server), 'servercerts/theirs.crt'),
      );
      assert.equal(existsSync(removed.serverCertificate), false);
      const list = await machine.client(server, ['remote', 'list', '--format', 'csv']);
      assert.doesNotMatch(list, /^theirs,/m);
      assert.match(list, /^local \(current\),/m);
    });
  });
}
