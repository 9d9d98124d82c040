// Enrolment refusals against the sandbox's real servers: each names what failed,
// carries its fields, and leaves the config files as they were.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';

import { AuthenticationError } from '../../src/api/errors.js';
import {
  addRemote,
  addRemoteWithToken,
  ExpiredTokenError,
  FingerprintMismatchError,
  RejectedTokenError,
  UnknownCertificateError,
  UnreachableError,
} from '../../src/enrol/index.js';
import { ConfigError, RemoteExistsError } from '../../src/errors.js';
import { freshMachine } from '../helpers/enrol.js';
import { assertMentions } from '../helpers/errors.js';
import { sandboxServers } from '../helpers/sandbox.js';
import { admin, alterToken, makeToken, removeTestTrust } from '../helpers/trust.js';

const servers = sandboxServers();
const [lxd, incus] = servers as [(typeof servers)[0], (typeof servers)[0]];

after(async () => {
  for (const server of servers) await removeTestTrust(server);
});

async function rejects<T extends Error>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => T,
): Promise<T> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof type, `expected a ${type.name}, got ${String(error)}`);
    return error;
  }
  assert.fail(`expected a ${type.name}, but nothing was thrown`);
}

// The fingerprint of the server certificate the sandbox's own client pinned.
function fingerprintOf(server: typeof lxd): string {
  const file = join(server.confDir, 'servercerts', `${server.remotes.https}.crt`);
  const certificate = new X509Certificate(readFileSync(file));
  return certificate.fingerprint256.replaceAll(':', '').toLowerCase();
}

describe('adding a remote refuses', () => {
  test('a token that was used already, and writes nothing', async () => {
    const { token } = await makeToken(lxd);
    await addRemoteWithToken('first', token, freshMachine().options);

    const machine = freshMachine();
    const error = await rejects(
      addRemoteWithToken('second', token, machine.options),
      RejectedTokenError,
    );
    assert.equal(error.code, 'LXDAPI_TOKEN_REJECTED');
    assert.equal(error.address, `https://${lxd.httpsAddress}`);
    assert.match(error.serverMessage, /no matching certificate add operation/i);
    assertMentions(error.message, ['used already', 'config trust add']);
    assert.equal(existsSync(machine.lxcDir), false);
    assert.equal(existsSync(machine.incusDir), false);
  });

  for (const server of servers) {
    test(`a ${server.title} token past its date, or expired on the server`, async () => {
      let token: string;
      let name: string;
      await admin(server, ['config', 'set', 'core.remote_token_expiry', '1S']);
      try {
        ({ token, name } = await makeToken(server));
      } finally {
        await admin(server, ['config', 'unset', 'core.remote_token_expiry']);
      }
      await sleep(1500);
      const machine = freshMachine();

      const byDate = await rejects(
        addRemoteWithToken('late', token, machine.options),
        ExpiredTokenError,
      );
      assert.equal(byDate.code, 'LXDAPI_TOKEN_EXPIRED');
      assert.equal(byDate.clientName, name);
      assert.ok(
        byDate.expiresAt !== undefined && Date.parse(byDate.expiresAt) < Date.now(),
      );

      // With its date taken out, only the server can tell: it says so, and the
      // token is cancelled.
      const undated = alterToken(token, { expires_at: '0001-01-01T00:00:00Z' });
      const byServer = await rejects(
        addRemoteWithToken('late', undated, machine.options),
        ExpiredTokenError,
      );
      assert.equal(byServer.expiresAt, undefined);
      assertMentions(byServer.message, ['has expired', name]);
      assert.equal(existsSync(machine.dirFor(server)), false);
    });
  }

  test('a certificate other than the token names, showing both', async () => {
    // An LXD token sent to the Incus address: another server answers there.
    const { token } = await makeToken(lxd);
    const misdirected = alterToken(token, { addresses: [incus.httpsAddress] });
    const machine = freshMachine();
    const error = await rejects(
      addRemoteWithToken('wrong', misdirected, machine.options),
      FingerprintMismatchError,
    );
    assert.equal(error.code, 'LXDAPI_FINGERPRINT_MISMATCH');
    assert.equal(error.expected, fingerprintOf(lxd));
    assert.equal(error.actual, fingerprintOf(incus));
    assert.equal(error.expectedFrom, 'token');
    assert.equal(error.address, `https://${incus.httpsAddress}`);
    assertMentions(error.message, [error.expected, error.actual, 'Nothing was sent']);
    assert.equal(existsSync(machine.lxcDir), false);

    // Nothing was sent: the token still works where it belongs.
    const added = await addRemoteWithToken('right', token, machine.options);
    assert.equal(added.tokenUsed, true);
  });

  test('when no address answers, listing each one tried', async () => {
    const { token } = await makeToken(lxd);
    const dead = alterToken(token, { addresses: ['127.0.0.1:1', '127.0.0.1:2'] });
    const error = await rejects(
      addRemoteWithToken('nowhere', dead, freshMachine().options),
      UnreachableError,
    );
    assert.equal(error.code, 'LXDAPI_UNREACHABLE');
    assert.deepEqual(
      error.attempts.map((each) => [each.address, each.code]),
      [
        ['https://127.0.0.1:1', 'ECONNREFUSED'],
        ['https://127.0.0.1:2', 'ECONNREFUSED'],
      ],
    );
    assertMentions(error.message, ['https://127.0.0.1:1', 'https://127.0.0.1:2']);
  });

  describe('a name that exists', () => {
    const machine = freshMachine();
    before(async () => {
      const { token } = await makeToken(incus);
      await addRemoteWithToken('taken', token, machine.options);
    });

    test('before anything is sent, unless forced', async () => {
      const file = join(machine.incusDir, 'config.yml');
      const before = readFileSync(file, 'utf8');
      const { token } = await makeToken(incus);
      const error = await rejects(
        addRemoteWithToken('taken', token, machine.options),
        RemoteExistsError,
      );
      assert.equal(error.code, 'LXDAPI_REMOTE_EXISTS');
      assert.equal(error.remote, 'taken');
      assert.equal(error.addr, `https://${incus.httpsAddress}`);
      assert.equal(error.file, file);
      assertMentions(error.message, ['--force', 'remote remove taken']);
      assert.equal(readFileSync(file, 'utf8'), before);

      // The server trusts this client already, so it does not take the token.
      const forced = await addRemoteWithToken('taken', token, {
        ...machine.options,
        force: true,
        project: incus.project,
      });
      assert.equal(forced.tokenUsed, false);
      assert.match(readFileSync(file, 'utf8'), /project: lxd-api-sandbox/);
    });
  });

  test('a config folder that takes no new files, and leaves it as it was', async () => {
    const machine = freshMachine();
    mkdirSync(machine.lxcDir);
    execFileSync('chattr', ['+i', machine.lxcDir]);
    try {
      const { token } = await makeToken(lxd);
      const error = await rejects(
        addRemoteWithToken('stuck', token, { ...machine.options, family: 'lxd' }),
        ConfigError,
      );
      assert.equal(error.code, 'LXDAPI_CONFIG');
      assert.equal(error.file, machine.lxcDir);
      assertMentions(error.message, [machine.lxcDir, 'EPERM']);
      assert.deepEqual(readdirSync(machine.lxcDir), []);

      // The token was never sent, so it still works once the folder is fixed.
      execFileSync('chattr', ['-i', machine.lxcDir]);
      const added = await addRemoteWithToken('stuck', token, machine.options);
      assert.equal(added.tokenUsed, true);
    } finally {
      execFileSync('chattr', ['-i', machine.lxcDir]);
    }
  });

  test('an address with a certificate no CA vouches for, unless pinned', async () => {
    const machine = freshMachine();
    const url = `https://${lxd.httpsAddress}`;
    const unknown = await rejects(
      addRemote('pinless', url, machine.options),
      UnknownCertificateError,
    );
    assert.equal(unknown.code, 'LXDAPI_CERTIFICATE_UNKNOWN');
    assert.equal(unknown.fingerprint, fingerprintOf(lxd));
    assertMentions(unknown.message, [unknown.fingerprint, '--accept-certificate']);

    const wrong = await rejects(
      addRemote('pinless', url, {
        ...machine.options,
        acceptCertificate: 'ab'.repeat(32),
      }),
      FingerprintMismatchError,
    );
    assert.equal(wrong.expectedFrom, 'accept-certificate');
    assert.equal(wrong.actual, fingerprintOf(lxd));

    // The right fingerprint gets through to a server that does not trust us.
    const untrusted = await rejects(
      addRemote('pinless', url, {
        ...machine.options,
        acceptCertificate: unknown.fingerprint,
      }),
      AuthenticationError,
    );
    const advice = ['config trust add', 'lxd-api remote add pinless'];
    assertMentions(untrusted.message, advice);
    assert.equal(existsSync(machine.lxcDir), false);
  });
});
