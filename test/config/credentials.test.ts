import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { loadClientConfig } from '../../src/config/client-config.js';
import { loadTlsCredentials } from '../../src/config/credentials.js';
import type { Family } from '../../src/config/family.js';
import { ConfigError } from '../../src/errors.js';
import { makeCertPair, opensslFingerprint } from '../helpers/certs.js';
import { makeConfigFixture, type ConfigFixture } from '../helpers/config-fixture.js';
import { assertMentions, catchError } from '../helpers/errors.js';

const client = makeCertPair('client-one');
const other = makeCertPair('client-two');
const server = makeCertPair('lxd-server.example');

const remotes = 'remotes:\n  prod:\n    addr: https://10.0.0.5:8443\n';

function setUp(family: Family = 'lxd'): { fixture: ConfigFixture; dir: string } {
  const fixture = makeConfigFixture();
  const dir = family === 'lxd' ? fixture.lxdDir : fixture.incusDir;
  fixture.write(join(dir, 'config.yml'), remotes);
  return { fixture, dir };
}

function load(fixture: ConfigFixture, family: Family = 'lxd', name = 'prod') {
  const config = loadClientConfig(family, fixture.options());
  const remote = config.remotes.get(name);
  assert.ok(remote !== undefined);
  return loadTlsCredentials(config, remote);
}

function credentialsError(fixture: ConfigFixture, family: Family = 'lxd'): ConfigError {
  const error = catchError(() => load(fixture, family), ConfigError);
  assert.equal(error.code, 'LXDAPI_CONFIG');
  assert.equal(error.field, undefined);
  return error;
}

describe('loadTlsCredentials', () => {
  describe('loads', () => {
    it('client.crt and client.key, with the fingerprint lxc shows', () => {
      const { fixture, dir } = setUp();
      fixture.writeClientPair(dir, client);
      const credentials = load(fixture);
      assert.equal(credentials.certificate.file, join(dir, 'client.crt'));
      assert.equal(credentials.certificate.pem, client.cert);
      assert.equal(credentials.certificate.fingerprint, opensslFingerprint(client.cert));
      assert.match(credentials.certificate.fingerprint, /^[0-9a-f]{64}$/u);
      assert.equal(credentials.key.file, join(dir, 'client.key'));
      assert.equal(credentials.key.pem, client.key);
      assert.equal(credentials.serverCertificate, undefined);
      assert.equal(credentials.ca, undefined);
    });

    it('the pinned server certificate, its fingerprint and its first DNS name', () => {
      const { fixture, dir } = setUp();
      fixture.writeClientPair(dir, client);
      const file = fixture.write(join(dir, 'servercerts', 'prod.crt'), server.cert);
      const pinned = load(fixture).serverCertificate;
      assert.deepEqual(pinned, {
        file,
        pem: server.cert,
        fingerprint: opensslFingerprint(server.cert),
        serverName: 'lxd-server.example',
      });
    });

    it('client.ca, which replaces the system CAs', () => {
      const { fixture, dir } = setUp();
      fixture.writeClientPair(dir, client);
      const file = fixture.write(join(dir, 'client.ca'), server.cert);
      assert.deepEqual(load(fixture).ca, { file, pem: server.cert });
    });

    it("a system-wide remote's server certificate, from the system-wide folder", () => {
      const fixture = makeConfigFixture();
      fixture.writeClientPair(fixture.lxdDir, client);
      const global = 'remotes:\n  shared:\n    addr: https://s\n';
      fixture.write(join(fixture.lxdGlobalDir, 'config.yml'), global);
      const file = join(fixture.lxdGlobalDir, 'servercerts', 'shared.crt');
      fixture.write(file, server.cert);
      fixture.write(join(fixture.lxdDir, 'servercerts', 'shared.crt'), other.cert);
      assert.equal(load(fixture, 'lxd', 'shared').serverCertificate?.file, file);
    });

    it("an Incus remote's own pair from clientcerts/ when both files exist", () => {
      const { fixture, dir } = setUp('incus');
      fixture.writeClientPair(dir, client);
      fixture.write(join(dir, 'clientcerts', 'prod.crt'), other.cert);
      fixture.write(join(dir, 'clientcerts', 'prod.key'), other.key);
      const credentials = load(fixture, 'incus');
      assert.equal(credentials.certificate.file, join(dir, 'clientcerts', 'prod.crt'));
      assert.equal(credentials.key.pem, other.key);
    });

    it('the shared pair for LXD, which has no clientcerts/', () => {
      const { fixture, dir } = setUp();
      fixture.writeClientPair(dir, client);
      fixture.write(join(dir, 'clientcerts', 'prod.crt'), other.cert);
      fixture.write(join(dir, 'clientcerts', 'prod.key'), other.key);
      assert.equal(load(fixture).certificate.pem, client.cert);
    });
  });

  describe('refuses', () => {
    it('a missing client.crt, saying `lxc remote add` creates it', () => {
      const { fixture, dir } = setUp();
      const error = credentialsError(fixture);
      assert.equal(error.file, join(dir, 'client.crt'));
      assertMentions(error.message, [
        '~/.config/lxc/client.crt does not exist',
        '`prod`',
      ]);
      assertMentions(error.message, [
        '`lxc remote add` creates client.crt and client.key',
      ]);
    });

    it('a missing client.key, naming it and the Incus command', () => {
      const { fixture, dir } = setUp('incus');
      fixture.write(join(dir, 'client.crt'), client.cert);
      const error = credentialsError(fixture, 'incus');
      assert.equal(error.file, join(dir, 'client.key'));
      assertMentions(error.message, ['~/.config/incus/client.key does not exist']);
      assertMentions(error.message, ['`incus remote add`']);
    });

    it('a key that does not belong to the certificate', () => {
      const { fixture, dir } = setUp();
      fixture.write(join(dir, 'client.crt'), client.cert);
      fixture.write(join(dir, 'client.key'), other.key);
      const error = credentialsError(fixture);
      assert.equal(error.file, join(dir, 'client.key'));
      assertMentions(error.message, [
        '~/.config/lxc/client.key is not the key of ~/.config/lxc/client.crt',
        'put back the pair',
        '`lxc remote add`',
      ]);
    });

    it('a client.crt that is not a certificate', () => {
      const { fixture, dir } = setUp();
      fixture.write(join(dir, 'client.crt'), 'hello\n');
      fixture.write(join(dir, 'client.key'), client.key);
      const error = credentialsError(fixture);
      assert.equal(error.file, join(dir, 'client.crt'));
      assertMentions(error.message, [
        'client.crt is not a PEM certificate',
        'restore it',
      ]);
    });

    it('a client.key that is not a key', () => {
      const { fixture, dir } = setUp();
      fixture.write(join(dir, 'client.crt'), client.cert);
      fixture.write(join(dir, 'client.key'), client.cert);
      const error = credentialsError(fixture);
      assert.equal(error.file, join(dir, 'client.key'));
      assertMentions(error.message, ['client.key is not a PEM private key']);
    });

    it('a key protected by a passphrase, saying how to store it without one', () => {
      const { fixture, dir } = setUp();
      fixture.write(join(dir, 'client.crt'), client.cert);
      const pem = (line: string) => `-----${line} ENCRYPTED PRIVATE KEY-----\n`;
      const encrypted = `${pem('BEGIN')}MIIB\n${pem('END')}`;
      fixture.write(join(dir, 'client.key'), encrypted);
      const error = credentialsError(fixture);
      assertMentions(error.message, ['protected by a passphrase', '`openssl pkey']);
    });

    it('a pinned server certificate that is not a certificate', () => {
      const { fixture, dir } = setUp();
      fixture.writeClientPair(dir, client);
      const file = fixture.write(join(dir, 'servercerts', 'prod.crt'), 'junk');
      const error = credentialsError(fixture);
      assert.equal(error.file, file);
      assertMentions(error.message, ['servercerts/prod.crt is not a PEM certificate']);
      assertMentions(error.message, ['add remote `prod` again with `lxc remote add`']);
    });

    it('a client.ca that is not a certificate', () => {
      const { fixture, dir } = setUp();
      fixture.writeClientPair(dir, client);
      const file = fixture.write(join(dir, 'client.ca'), 'junk');
      assert.equal(credentialsError(fixture).file, file);
    });

    it('a file it cannot read, saying to check its permissions', () => {
      const { fixture, dir } = setUp();
      fixture.write(join(dir, 'client.key'), client.key);
      mkdirSync(join(dir, 'client.crt'));
      const error = credentialsError(fixture);
      assert.equal(error.file, join(dir, 'client.crt'));
      assertMentions(error.message, ['Cannot read ~/.config/lxc/client.crt', 'EISDIR']);
      assertMentions(error.message, ['`prod`', 'permissions']);
    });
  });
});
