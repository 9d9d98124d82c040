import { connect as netConnect, isIP } from 'node:net';
import { checkServerIdentity, connect as tlsConnect, type TLSSocket } from 'node:tls';

import type { buildConnector } from 'undici';

import {
  describeEndpoint,
  fingerprint,
  type Endpoint,
  type HttpsEndpoint,
  type UnixEndpoint,
} from './endpoint.js';
import { CertificateError, ConnectionError, TimeoutError } from './errors.js';

/** Counts kept by a connector, for tests and benchmarks. */
export interface ConnectorStats {
  /** Connections opened (TCP or unix), including failed attempts. */
  connects: number;
  /** TLS handshakes completed. */
  handshakes: number;
}

/**
 * Builds the undici connector for an endpoint. Every error it produces is one of
 * ours and says the request was never sent, which is what lets the retry policy
 * resend even a POST after a connection failure.
 */
export function makeConnector(
  endpoint: Endpoint,
  options: { timeout: number; stats: ConnectorStats },
): buildConnector.connector {
  return (_opts, callback) => {
    options.stats.connects += 1;
    const socket =
      endpoint.kind === 'https' ? openTls(endpoint) : netConnect(endpoint.socketPath);
    // Nagle's algorithm holds a small segment back while an earlier one is not yet
    // acknowledged, and the server acknowledges late (Linux waits up to 40 ms) or
    // along with its answer: the rest of a pipelined batch would wait for the first
    // answer, a round trip more. undici's own connector turns it off too.
    socket.setNoDelay(true);
    // A peer that vanished without a word is noticed on an idle socket too.
    socket.setKeepAlive(true, 60_000);
    const ready = endpoint.kind === 'https' ? 'secureConnect' : 'connect';
    let done = false;

    const finish = (error: Error | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.removeListener('error', onError);
      if (error === null) {
        callback(null, socket);
      } else {
        socket.destroy();
        callback(error, null);
      }
    };
    const onError = (error: NodeJS.ErrnoException) => {
      finish(connectFailure(endpoint, error));
    };
    const timer = setTimeout(() => {
      const where = describeEndpoint(endpoint);
      const message =
        `Connecting to remote \`${endpoint.remote}\` at ${where} timed out after ` +
        `${options.timeout} ms. Check that the server is up and reachable.`;
      finish(
        new TimeoutError(message, {
          remote: endpoint.remote,
          sent: 'no',
          stage: 'connect',
          timeout: options.timeout,
        }),
      );
    }, options.timeout);

    socket.once('error', onError);
    socket.once(ready, () => {
      if (endpoint.kind === 'unix') {
        finish(null);
        return;
      }
      const failure = verifyPeer(endpoint, socket as TLSSocket);
      if (failure === undefined) options.stats.handshakes += 1;
      finish(failure ?? null);
    });
  };
}

// The peer is verified in `secureConnect`, before undici writes a byte, rather than
// inside OpenSSL: that way a mismatch can name both fingerprints. Nothing is
// accepted that OpenSSL would refuse, and a pinned certificate is stricter still.
function openTls(endpoint: HttpsEndpoint): TLSSocket {
  return tlsConnect({
    host: endpoint.host,
    port: endpoint.port,
    // SNI carries host names only.
    ...(isIP(endpoint.host) === 0 ? { servername: endpoint.host } : {}),
    cert: endpoint.clientCert,
    key: endpoint.clientKey,
    ...(endpoint.ca === undefined ? {} : { ca: endpoint.ca }),
    rejectUnauthorized: false,
    // HTTP/1.1 only: pipelining needs it, and both servers would otherwise pick h2.
    ALPNProtocols: ['http/1.1'],
  });
}

/** Checks the server's certificate as the clients do; returns the refusal, if any. */
function verifyPeer(
  endpoint: HttpsEndpoint,
  socket: TLSSocket,
): CertificateError | undefined {
  const peer = socket.getPeerX509Certificate();
  const actual = peer === undefined ? undefined : fingerprint(peer);

  if (endpoint.pinned !== undefined) {
    const expected = endpoint.pinned.fingerprint;
    if (actual === expected) return undefined;
    return new CertificateError(
      `Remote \`${endpoint.remote}\` at ${endpoint.origin} presented certificate ` +
        `${actual ?? '(none)'}, but ${endpoint.pinned.file} pins ${expected}. ` +
        'If the server was reinstalled or its certificate renewed on purpose, pin the ' +
        `new one: \`${endpoint.client} remote remove ${endpoint.remote}\` then ` +
        `\`${endpoint.client} remote add ${endpoint.remote} ${endpoint.origin}\`.`,
      { remote: endpoint.remote, expected, ...(actual === undefined ? {} : { actual }) },
    );
  }

  const identity =
    socket.authorized && peer !== undefined
      ? checkServerIdentity(endpoint.host, socket.getPeerCertificate())
      : undefined;
  if (socket.authorized && identity === undefined) return undefined;

  const reason = identity?.message ?? String(socket.authorizationError);
  return new CertificateError(
    `Remote \`${endpoint.remote}\` at ${endpoint.origin} presented a certificate ` +
      `(${actual ?? 'none'}) that is not trusted: ${reason}. Pin the server's ` +
      `certificate with \`${endpoint.client} remote add ${endpoint.remote} ` +
      `${endpoint.origin}\` (it stores servercerts/${endpoint.remote}.crt).`,
    { remote: endpoint.remote, ...(actual === undefined ? {} : { actual }) },
  );
}

function connectFailure(
  endpoint: Endpoint,
  error: NodeJS.ErrnoException,
): ConnectionError {
  const where = describeEndpoint(endpoint);
  const hint = endpoint.kind === 'unix' ? unixHint(endpoint, error) : httpsHint(error);
  return new ConnectionError(
    `Cannot connect to remote \`${endpoint.remote}\` at ${where}: ${hint}`,
    { remote: endpoint.remote, sent: 'no', cause: error },
  );
}

function unixHint(endpoint: UnixEndpoint, error: NodeJS.ErrnoException): string {
  const server = endpoint.client === 'lxc' ? 'LXD' : 'Incus';
  switch (error.code) {
    case 'ENOENT':
    case 'ECONNREFUSED':
      return `no ${server} daemon listens on that socket. Start it, or set the remote's address.`;
    case 'EACCES':
      return `permission denied. Run as root or join the group that owns the socket.`;
    default:
      return error.message;
  }
}

function httpsHint(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'connection refused. Is the server running, and listening there (core.https_address)?';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the host name does not resolve (${error.code}).`;
    case 'ECONNRESET':
      return 'the server closed the connection during the TLS handshake.';
    default:
      return error.message;
  }
}
