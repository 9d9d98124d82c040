import type { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { checkServerIdentity, connect as tlsConnect } from 'node:tls';

import { fingerprint } from './endpoint.js';

/** The certificate a server presented, and whether the CAs vouch for it. */
export interface PresentedCertificate {
  readonly certificate: X509Certificate;
  /** SHA-256, lowercase hex without colons, as the clients and tokens write it. */
  readonly fingerprint: string;
  /**
   * Why the CAs (the system's, or `ca` when given) do not vouch for it for this
   * host; undefined when they do.
   */
  readonly untrustedBecause: string | undefined;
}

/** Where to fetch a certificate from, and what to trust while looking. */
export interface CertificateSource {
  readonly host: string;
  readonly port: number;
  /** CAs that replace the system's, as `client.ca` does for the clients. */
  readonly ca?: string | undefined;
  /** Milliseconds for TCP and TLS together. */
  readonly timeout: number;
}

/**
 * Opens a TLS connection, takes the server's certificate and closes, sending no
 * request: the first step of trusting a server, before any secret or request
 * goes to it. Rejects with the socket's error (`ECONNREFUSED`, `ETIMEDOUT`, …).
 */
export async function fetchServerCertificate(
  source: CertificateSource,
): Promise<PresentedCertificate> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      host: source.host,
      port: source.port,
      ...(isIP(source.host) === 0 ? { servername: source.host } : {}),
      ...(source.ca === undefined ? {} : { ca: source.ca }),
      rejectUnauthorized: false,
      ALPNProtocols: ['http/1.1'],
    });
    const timer = setTimeout(() => {
      const error: NodeJS.ErrnoException = new Error(
        `no TLS handshake within ${source.timeout} ms`,
      );
      error.code = 'ETIMEDOUT';
      socket.destroy(error);
    }, source.timeout);

    socket.once('error', (error: Error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const peer = socket.getPeerX509Certificate();
      const identity =
        socket.authorized && peer !== undefined
          ? checkServerIdentity(source.host, socket.getPeerCertificate())
          : undefined;
      socket.destroy();
      if (peer === undefined) {
        reject(new Error('the server presented no certificate'));
        return;
      }
      const untrustedBecause = socket.authorized
        ? identity?.message
        : String(socket.authorizationError);
      resolve({ certificate: peer, fingerprint: fingerprint(peer), untrustedBecause });
    });
  });
}
