import { generateKeyPairSync, randomBytes, sign, X509Certificate } from 'node:crypto';
import { hostname, userInfo } from 'node:os';

import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  BasicConstraints,
  Certificate,
  ExtendedKeyUsage,
  Extension,
  Extensions,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_kp_clientAuth,
  KeyUsage,
  KeyUsageFlags,
  Name,
  RelativeDistinguishedName,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
} from '@peculiar/asn1-x509';

import type { Family } from './family.js';

/** A client certificate and its private key, both PEM, as the clients store them. */
export interface ClientCertificate {
  readonly cert: string;
  readonly key: string;
  /** SHA-256 of the certificate, lowercase hex without colons. */
  readonly fingerprint: string;
}

/**
 * Makes a client certificate the way `lxc` and `incus` make theirs on first use:
 * an EC P-384 key (SEC 1 PEM, `EC PRIVATE KEY`) and a self-signed certificate for
 * client authentication, valid ten years, subject `O=<organisation>,
 * CN=<user>@<host>`, with a random 128-bit serial.
 *
 * Note: node:crypto makes the key and the signature but cannot build a
 * certificate; the ASN.1 structure comes from @peculiar/asn1-x509.
 */
export function generateClientCertificate(
  family: Family,
  who: { user?: string; host?: string } = {},
): ClientCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('ec', {
    namedCurve: 'secp384r1',
  });
  const subject = subjectName(family, who);
  const notBefore = new Date(Math.floor(Date.now() / 1000) * 1000);
  const notAfter = new Date(notBefore.getTime() + tenYears);

  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: arrayBuffer(serialNumber()),
    signature: ecdsaWithSha384,
    issuer: subject,
    subject,
    validity: new Validity({ notBefore, notAfter }),
    subjectPublicKeyInfo: AsnConvert.parse(
      publicKey.export({ type: 'spki', format: 'der' }),
      SubjectPublicKeyInfo,
    ),
    extensions: new Extensions(clientExtensions()),
  });
  const signature = sign('sha384', Buffer.from(AsnConvert.serialize(tbs)), {
    key: privateKey,
    dsaEncoding: 'der',
  });
  const der = AsnConvert.serialize(
    new Certificate({
      tbsCertificate: tbs,
      signatureAlgorithm: ecdsaWithSha384,
      signatureValue: arrayBuffer(signature),
    }),
  );

  const cert = pemOf('CERTIFICATE', Buffer.from(der));
  const key = privateKey.export({ type: 'sec1', format: 'pem' }).toString();
  const fingerprint = new X509Certificate(cert).fingerprint256
    .replaceAll(':', '')
    .toLowerCase();
  return { cert, key, fingerprint };
}

/** `der` as PEM with 64-character lines, as Go's encoder writes it. */
export function pemOf(type: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/gu) ?? [];
  return `-----BEGIN ${type}-----\n${lines.join('\n')}\n-----END ${type}-----\n`;
}

// The clients add ten times 365 days, leap days aside.
const tenYears = 10 * 365 * 24 * 60 * 60 * 1000;

const ecdsaWithSha384 = new AlgorithmIdentifier({ algorithm: '1.2.840.10045.4.3.3' });

const organisation: Readonly<Record<Family, string>> = {
  lxd: 'linuxcontainers.org',
  incus: 'Linux Containers',
};

function subjectName(family: Family, who: { user?: string; host?: string }): Name {
  const user = who.user ?? currentUser();
  const host = who.host ?? hostname();
  const attribute = (type: string, value: string) =>
    new RelativeDistinguishedName([
      new AttributeTypeAndValue({
        type,
        value: new AttributeValue({ utf8String: value }),
      }),
    ]);
  return new Name([
    attribute('2.5.4.10', organisation[family]),
    attribute('2.5.4.3', `${user}@${host === '' ? 'UNKNOWN' : host}`),
  ]);
}

// Key usage and extended key usage as the clients set them; not a CA.
function clientExtensions(): Extension[] {
  const extension = (extnID: string, critical: boolean, value: object) =>
    new Extension({
      extnID,
      critical,
      extnValue: new OctetString(AsnConvert.serialize(value)),
    });
  const usage = KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment;
  return [
    extension(id_ce_keyUsage, true, new KeyUsage(usage)),
    extension(id_ce_extKeyUsage, false, new ExtendedKeyUsage([id_kp_clientAuth])),
    extension(id_ce_basicConstraints, true, new BasicConstraints({ cA: false })),
  ];
}

// A random positive integer below 2^128, in the minimal two's complement bytes
// DER wants: no leading zero byte, unless the top bit would make it negative.
function serialNumber(): Buffer {
  const random = randomBytes(16);
  let start = 0;
  while (start < random.length - 1 && random[start] === 0) start += 1;
  const bytes = random.subarray(start);
  return (bytes[0] ?? 0) >= 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes;
}

function currentUser(): string {
  try {
    return userInfo().username || 'UNKNOWN';
  } catch {
    return 'UNKNOWN';
  }
}

function arrayBuffer(bytes: Buffer): ArrayBuffer {
  return new Uint8Array(bytes).buffer;
}
