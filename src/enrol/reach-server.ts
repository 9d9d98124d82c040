import type { Family } from '../config/family.js';
import { parseRemoteAddress, type HttpsAddress } from '../config/remote-address.js';
import {
  fetchServerCertificate,
  type PresentedCertificate,
} from '../transport/server-certificate.js';
import {
  FingerprintMismatchError,
  UnknownCertificateError,
  UnreachableError,
  type FailedAttempt,
} from './errors.js';

/** The certificate a new remote must present, and who says so. */
export interface ExpectedCertificate {
  readonly fingerprint: string;
  readonly from: 'token' | 'accept-certificate';
}

/** The address that answered, and the certificate it presented. */
export interface ReachedServer {
  readonly address: HttpsAddress;
  /** `https://host:port`, the port always written, as the clients write `addr`. */
  readonly addr: string;
  readonly presented: PresentedCertificate;
  /** Whether the certificate is to be pinned (no CA vouches for it). */
  readonly pin: boolean;
  /** The addresses tried before it, which could not be reached. */
  readonly failed: readonly FailedAttempt[];
}

/**
 * Tries `urls` in order until one completes a TLS handshake, and checks the
 * certificate it presents before anything is sent: it must have the `expected`
 * fingerprint, or, with nothing expected, be vouched for by the system's CAs.
 * A mismatch stops at once; only an address that cannot be reached lets the
 * next one be tried.
 */
export async function reachServer(
  remote: string,
  urls: readonly string[],
  options: {
    family: Family;
    expected?: ExpectedCertificate | undefined;
    timeout: number;
  },
): Promise<ReachedServer> {
  const attempts: FailedAttempt[] = [];
  for (const url of urls) {
    const address = asAddress(url, options.family);
    const addr = addrOf(address);
    let presented: PresentedCertificate;
    try {
      presented = await fetchServerCertificate({
        host: address.host,
        port: address.port,
        timeout: options.timeout,
      });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      attempts.push({ address: addr, code, reason: describeFailure(error) });
      continue;
    }
    const pin = check(remote, addr, presented, options);
    return { address, addr, presented, pin, failed: attempts };
  }
  throw unreachable(remote, attempts);
}

/** `https://host:port` of an address, brackets around an IPv6 host. */
export function addrOf(address: HttpsAddress): string {
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return `https://${host}:${address.port}`;
}

function check(
  remote: string,
  addr: string,
  presented: PresentedCertificate,
  options: { expected?: ExpectedCertificate | undefined },
): boolean {
  const { expected } = options;
  if (expected !== undefined) {
    if (presented.fingerprint === expected.fingerprint) return true;
    throw mismatch(remote, addr, presented.fingerprint, expected);
  }
  if (presented.untrustedBecause === undefined) return false;
  throw new UnknownCertificateError(
    `Remote \`${remote}\` at ${addr} presented a certificate that no CA vouches for ` +
      `(${presented.untrustedBecause}); its SHA-256 fingerprint is ` +
      `${presented.fingerprint}. Compare it with certificate_fingerprint in \`lxc ` +
      'info` or `incus info` on the server, then add the remote with ' +
      `--accept-certificate ${presented.fingerprint}, or use a trust token instead.`,
    {
      remote,
      address: addr,
      fingerprint: presented.fingerprint,
      reason: presented.untrustedBecause,
    },
  );
}

function mismatch(
  remote: string,
  addr: string,
  actual: string,
  expected: ExpectedCertificate,
): FingerprintMismatchError {
  const who =
    expected.from === 'token' ? 'the trust token names' : '--accept-certificate names';
  const advice =
    expected.from === 'token'
      ? 'The token was made by another server, or something else answers at that ' +
        'address: check the address, and ask the server you mean for a new token.'
      : 'Compare the fingerprint with certificate_fingerprint in `lxc info` or ' +
        '`incus info` on the server, and check the address.';
  return new FingerprintMismatchError(
    `Refusing remote \`${remote}\`: the server at ${addr} presented certificate ` +
      `${actual}, but ${who} ${expected.fingerprint}. Nothing was sent to it. ${advice}`,
    {
      remote,
      address: addr,
      expected: expected.fingerprint,
      actual,
      expectedFrom: expected.from,
    },
  );
}

function unreachable(remote: string, attempts: FailedAttempt[]): UnreachableError {
  const tried = attempts.map((each) => `${each.address} (${each.reason})`).join(', ');
  return new UnreachableError(
    `Cannot reach the server of remote \`${remote}\` at any of its addresses: ` +
      `${tried}. Check that the server is up and listens there (core.https_address), ` +
      'and that this machine can reach it.',
    { remote, attempts },
  );
}

function asAddress(url: string, family: Family): HttpsAddress {
  const source = { file: '(command line)', field: 'address', display: 'the address' };
  const address = parseRemoteAddress(url, family, source);
  if (address.kind !== 'https') throw new TypeError(`not an HTTPS address: ${url}`);
  return address;
}

function describeFailure(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ETIMEDOUT':
      return 'timed out';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the host name does not resolve, ${code}`;
    case 'ECONNRESET':
      return 'the connection was reset during the TLS handshake';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `no route, ${code}`;
    default:
      return message;
  }
}
