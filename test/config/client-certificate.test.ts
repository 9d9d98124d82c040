import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';

import { generateClientCertificate } from '../../src/config/index.js';
import { opensslFingerprint } from '../helpers/certs.js';

describe('generateClientCertificate', () => {
  it('makes an EC P-384 client certificate as lxc makes one', () => {
    const made = generateClientCertificate('lxd', { user: 'ci', host: 'runner-7' });
    const certificate = new X509Certificate(made.cert);
    const key = createPrivateKey(made.key);
    assert.match(made.key, /^-----BEGIN EC PRIVATE KEY-----\n/);
    assert.equal(key.asymmetricKeyDetails?.namedCurve, 'secp384r1');
    assert.ok(certificate.checkPrivateKey(key));
    assert.ok(certificate.verify(certificate.publicKey));
    assert.equal(certificate.subject, 'O=linuxcontainers.org\nCN=ci@runner-7');
    assert.equal(certificate.issuer, certificate.subject);
    assert.equal(certificate.ca, false);
    assert.deepEqual(certificate.keyUsage, ['1.3.6.1.5.5.7.3.2']);
    assert.equal(made.fingerprint, opensslFingerprint(made.cert));

    const days =
      (Date.parse(certificate.validTo) - Date.parse(certificate.validFrom)) / 864e5;
    assert.equal(days, 3650);
    const text = execFileSync('openssl', ['x509', '-noout', '-text'], {
      input: made.cert,
      encoding: 'utf8',
    });
    assert.match(text, /Key Usage: critical\n\s+Digital Signature, Key Encipherment/);
    assert.match(text, /Basic Constraints: critical\n\s+CA:FALSE/);
    assert.match(text, /Signature Algorithm: ecdsa-with-SHA384/);
  });

  it('names the organisation as incus does, and never repeats a serial', () => {
    const serials = new Set<string>();
    for (let i = 0; i < 20; i += 1) {
      const certificate = new X509Certificate(generateClientCertificate('incus').cert);
      assert.match(certificate.subject, /^O=Linux Containers\nCN=.+@.+$/);
      serials.add(certificate.serialNumber);
    }
    assert.equal(serials.size, 20);
  });
});
