import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { scratchDir } from './scratch.js';

/** A certificate and its private key, both PEM. */
export interface CertPair {
  readonly cert: string;
  readonly key: string;
}

/**
 * Makes a self-signed EC P-384 (secp384r1) certificate and its key with openssl, as
 * `lxc remote add` makes a client's, with `dnsName` as its first DNS name.
 */
export function makeCertPair(dnsName = 'test-client'): CertPair {
  const dir = scratchDir('certs-');
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:secp384r1',
      '-nodes',
      '-days',
      '30',
      '-subj',
      `/O=lxd-api-connector tests/CN=${dnsName}`,
      '-addext',
      `subjectAltName=DNS:${dnsName},IP:127.0.0.1`,
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'pipe' },
  );
  return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
}

/** The SHA-256 fingerprint of a PEM certificate as `openssl` prints it, for checks. */
export function opensslFingerprint(certPem: string): string {
  const out = execFileSync('openssl', ['x509', '-noout', '-fingerprint', '-sha256'], {
    input: certPem,
    encoding: 'utf8',
  });
  return out.trim().replace(/^.*=/u, '').replaceAll(':', '').toLowerCase();
}
