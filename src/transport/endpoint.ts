import type { X509Certificate } from 'node:crypto';

import type { ResolvedRemote } from '../config/resolve.js';
import { familyFacts } from '../config/family.js';

/** Where and how to reach one remote: what the transport needs, and nothing of LXD. */
export type Endpoint = HttpsEndpoint | UnixEndpoint;

interface EndpointBase {
  /** The remote's name, for messages. */
  readonly remote: string;
  /** The command-line client whose configuration names this remote. */
  readonly client: 'lxc' | 'incus';
}

/** An HTTPS remote: the client identity, and either a pinned certificate or CAs. */
export interface HttpsEndpoint extends EndpointBase {
  readonly kind: 'https';
  /** `https://host:port`, as written in the configuration. */
  readonly origin: string;
  readonly host: string;
  readonly port: number;
  readonly clientCert: string;
  readonly clientKey: string;
  /** The one certificate the server must present, when the remote has one pinned. */
  readonly pinned?: { readonly fingerprint: string; readonly file: string };
  /** CAs that replace the system's, from `client.ca`. */
  readonly ca?: string;
}

/** A remote reached over the server's unix socket. */
export interface UnixEndpoint extends EndpointBase {
  readonly kind: 'unix';
  readonly socketPath: string;
}

/**
 * The endpoint of a resolved remote. Note: of several addresses (Incus 7 writes a
 * list) only the first is used.
 */
export function endpointFor(remote: ResolvedRemote): Endpoint {
  const client = familyFacts[remote.family].client as 'lxc' | 'incus';
  const { address, credentials } = remote;
  if (address.kind === 'unix') {
    return { kind: 'unix', remote: remote.name, client, socketPath: address.socketPath };
  }
  if (credentials === undefined) {
    throw new TypeError(`remote ${remote.name} is HTTPS but has no TLS credentials`);
  }
  const pinned = credentials.serverCertificate;
  return {
    kind: 'https',
    remote: remote.name,
    client,
    origin: address.origin,
    host: address.host,
    port: address.port,
    clientCert: credentials.certificate.pem,
    clientKey: credentials.key.pem,
    ...(pinned === undefined
      ? {}
      : { pinned: { fingerprint: pinned.fingerprint, file: pinned.file } }),
    ...(credentials.ca === undefined ? {} : { ca: credentials.ca.pem }),
  };
}

/** The address of an endpoint as a user would write it. */
export function describeEndpoint(endpoint: Endpoint): string {
  return endpoint.kind === 'https' ? endpoint.origin : `unix://${endpoint.socketPath}`;
}

/** A SHA-256 fingerprint written as the clients write it: lowercase hex, no colons. */
export function fingerprint(certificate: X509Certificate): string {
  return certificate.fingerprint256.replaceAll(':', '').toLowerCase();
}
