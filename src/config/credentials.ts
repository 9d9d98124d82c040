import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { ConfigError } from '../errors.js';
import type { ClientConfig, RemoteEntry } from './client-config.js';
import { displayPath } from './config-dir.js';
import { familyFacts } from './family.js';

/** A PEM file as read from disk. */
export interface PemFile {
  readonly file: string;
  readonly pem: string;
}

/** A certificate file and its SHA-256 fingerprint, lowercase hex without colons. */
export interface CertificateFile extends PemFile {
  readonly fingerprint: string;
}

/** The server certificate a remote is pinned to. */
export interface PinnedCertificate extends CertificateFile {
  /**
   * The certificate's first DNS name. Note: the clients check the server's name
   * against this, not against the host of the remote's address.
   */
  readonly serverName: string | undefined;
}

/** What a client presents and trusts when it talks HTTPS to a remote. */
export interface TlsCredentials {
  /** `client.crt`: the client's identity, trusted by the server. */
  readonly certificate: CertificateFile;
  /** `client.key`, checked to match the certificate. */
  readonly key: PemFile;
  /** `servercerts/<remote>.crt`; when absent, the CAs decide. */
  readonly serverCertificate: PinnedCertificate | undefined;
  /** `client.ca`; when present it replaces the system's CAs. */
  readonly ca: PemFile | undefined;
}

/** Loads and checks the TLS files of an HTTPS remote of `config`. */
export function loadTlsCredentials(
  config: ClientConfig,
  remote: RemoteEntry,
): TlsCredentials {
  const context: Context = { config, remote: remote.name };
  const paths = credentialPaths(config, remote);

  const certificate = parseCertificate(context, readPem(context, paths.certificate));
  const key = readPem(context, paths.key);
  checkKeyMatches(context, key, certificate);

  const serverPem = readOptionalPem(context, paths.serverCertificate);
  const server = serverPem && parseCertificate(context, serverPem);
  const ca = readOptionalPem(context, paths.ca);
  if (ca !== undefined) parseCertificate(context, ca);

  return {
    certificate: certificate.file,
    key,
    serverCertificate: server && {
      ...server.file,
      serverName: firstDnsName(server.x509),
    },
    ca,
  };
}

/** A client's certificate and key, read and checked to belong together. */
export interface ClientIdentity {
  readonly certificate: CertificateFile;
  readonly key: PemFile;
  /** `client` for client.crt and .key, `remote` for Incus's clientcerts/<remote>.*. */
  readonly as: 'client' | 'remote';
}

/**
 * The identity `config` presents to the remote `name`, as for `loadTlsCredentials`;
 * undefined when its certificate or its key does not exist.
 */
export function loadClientIdentity(
  config: ClientConfig,
  name: string,
): ClientIdentity | undefined {
  const context: Context = { config, remote: name };
  const paths = credentialPaths(config, { name, source: 'user' });
  const certificatePem = readOptionalPem(context, paths.certificate);
  const key = readOptionalPem(context, paths.key);
  if (certificatePem === undefined || key === undefined) return undefined;
  const certificate = parseCertificate(context, certificatePem);
  checkKeyMatches(context, key, certificate);
  const own = paths.certificate !== join(config.paths.dir, 'client.crt');
  return { certificate: certificate.file, key, as: own ? 'remote' : 'client' };
}

interface Context {
  readonly config: ClientConfig;
  readonly remote: string;
}

interface ParsedCertificate {
  readonly file: CertificateFile;
  readonly x509: X509Certificate;
}

interface CredentialPaths {
  readonly certificate: string;
  readonly key: string;
  readonly ca: string;
  readonly serverCertificate: string;
}

// Incus lets a remote have its own client certificate under `clientcerts/`,
// used when both its `.crt` and `.key` exist. The certificate of a remote from
// the system-wide file sits in the system-wide folder.
function credentialPaths(
  config: ClientConfig,
  remote: Pick<RemoteEntry, 'name' | 'source'>,
): CredentialPaths {
  const { dir, globalDir } = config.paths;
  const serverDir = remote.source === 'global' ? globalDir : dir;
  const serverCertificate = join(serverDir, 'servercerts', `${remote.name}.crt`);

  const own = (ext: string) => join(dir, 'clientcerts', `${remote.name}.${ext}`);
  if (config.family === 'incus' && existsSync(own('crt')) && existsSync(own('key'))) {
    return { certificate: own('crt'), key: own('key'), ca: own('ca'), serverCertificate };
  }
  return {
    certificate: join(dir, 'client.crt'),
    key: join(dir, 'client.key'),
    ca: join(dir, 'client.ca'),
    serverCertificate,
  };
}

function readPem(context: Context, file: string): PemFile {
  const pem = readOptionalPem(context, file);
  if (pem !== undefined) return pem;
  throw new ConfigError(
    `${show(context, file)} does not exist, and remote \`${context.remote}\` needs it ` +
      `to prove who this client is. \`${client(context)} remote add\` creates ` +
      'client.crt and client.key: run it for this remote, or copy both files from ' +
      'the machine where the remote was added.',
    { file },
  );
}

function readOptionalPem(context: Context, file: string): PemFile | undefined {
  try {
    return { file, pem: readFileSync(file, 'utf8') };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new ConfigError(
      `Cannot read ${show(context, file)} (${code ?? String(error)}), which remote ` +
        `\`${context.remote}\` needs; check that it is a file and that its ` +
        'permissions let this user read it.',
      { file, cause: error },
    );
  }
}

function parseCertificate(context: Context, pem: PemFile): ParsedCertificate {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(pem.pem);
  } catch (error) {
    throw new ConfigError(
      `${show(context, pem.file)} is not a PEM certificate; restore it from a backup, ` +
        `or remove it and add remote \`${context.remote}\` again with ` +
        `\`${client(context)} remote add\`.`,
      { file: pem.file, cause: error },
    );
  }
  const fingerprint = x509.fingerprint256.replaceAll(':', '').toLowerCase();
  return { file: { ...pem, fingerprint }, x509 };
}

function checkKeyMatches(
  context: Context,
  keyPem: PemFile,
  certificate: ParsedCertificate,
): void {
  const key = parseKey(context, keyPem);
  if (certificate.x509.checkPrivateKey(key)) return;
  throw new ConfigError(
    `${show(context, keyPem.file)} is not the key of ` +
      `${show(context, certificate.file.file)}; put back the pair that belongs ` +
      `together, or remove both and run \`${client(context)} remote add\` to make a ` +
      'new pair (the servers must then trust the new certificate).',
    { file: keyPem.file },
  );
}

function parseKey(context: Context, keyPem: PemFile): KeyObject {
  try {
    return createPrivateKey(keyPem.pem);
  } catch (error) {
    const why = keyPem.pem.includes('ENCRYPTED')
      ? 'is protected by a passphrase, which is not supported; store it without one ' +
        '(`openssl pkey -in client.key -out client.key.plain`)'
      : 'is not a PEM private key; restore it from a backup';
    throw new ConfigError(`${show(context, keyPem.file)} ${why}.`, {
      file: keyPem.file,
      cause: error,
    });
  }
}

function firstDnsName(certificate: X509Certificate): string | undefined {
  for (const entry of (certificate.subjectAltName ?? '').split(', ')) {
    if (!entry.startsWith('DNS:')) continue;
    const name = entry.slice('DNS:'.length);
    // Node quotes a name holding a comma or a quote, as a JSON string.
    return name.startsWith('"') ? (JSON.parse(name) as string) : name;
  }
  return undefined;
}

function show(context: Context, file: string): string {
  return displayPath(file, context.config.home);
}

function client(context: Context): string {
  return familyFacts[context.config.family].client;
}
