import { ExpiredTokenError, InvalidTokenError } from './errors.js';

/**
 * A trust token as `lxc config trust add` and `incus config trust add` print it:
 * base64 (standard alphabet, padded) of a JSON object.
 */
export interface TrustToken {
  /** The token as given: it is sent whole to the server, which decodes it. */
  readonly text: string;
  /** The name the server gives the certificate it will trust. */
  readonly clientName: string;
  /** SHA-256 of the server's certificate: the only one to talk to. */
  readonly fingerprint: string;
  /** `host:port` of each address the server listens on, to try in order. */
  readonly addresses: readonly string[];
  readonly secret: string;
  /** Undefined when it never expires (the server wrote Go's zero time). */
  readonly expiresAt: Date | undefined;
  /**
   * Set by LXD 6 for tokens of its identities API (`lxc auth identity create`);
   * empty for the certificate tokens of `config trust add`.
   */
  readonly type: string;
}

/** Whether `text` is shaped like a trust token rather than an address. */
export function looksLikeToken(text: string): boolean {
  return base64.test(text) && text.length >= 40 && decodeJson(text) !== undefined;
}

/**
 * Decodes a trust token and checks it has every field the clients require.
 *
 * @param now the time an expiry is checked against
 */
export function decodeTrustToken(text: string, now = new Date()): TrustToken {
  const trimmed = text.trim();
  const json = base64.test(trimmed) ? decodeJson(trimmed) : undefined;
  if (json === undefined) {
    throw invalid('it is not base64-encoded JSON; copy it again, whole');
  }

  const clientName = field(json, 'client_name');
  const fingerprint = field(json, 'fingerprint').toLowerCase();
  const secret = field(json, 'secret');
  const addresses = json.addresses;
  if (!Array.isArray(addresses) || addresses.length === 0) {
    throw invalid('it lists no server address');
  }
  if (!addresses.every((each) => typeof each === 'string' && each !== '')) {
    throw invalid('its addresses are not all `host:port` strings');
  }
  if (!/^[0-9a-f]{64}$/u.test(fingerprint)) {
    throw invalid('its fingerprint is not a SHA-256 in hex');
  }

  const expiresAt = expiry(json.expires_at);
  if (expiresAt !== undefined && expiresAt.getTime() <= now.getTime()) {
    throw new ExpiredTokenError(
      `The trust token for \`${clientName}\` expired at ${expiresAt.toISOString()}; ` +
        'ask for a new one (`lxc config trust add` or `incus config trust add` on the ' +
        'server).',
      { clientName, expiresAt: expiresAt.toISOString() },
    );
  }
  const type = typeof json.type === 'string' ? json.type : '';
  return { text: trimmed, clientName, fingerprint, addresses, secret, expiresAt, type };
}

const base64 = /^(?:[A-Za-z0-9+/]{4})+(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/u;

function decodeJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function field(json: Record<string, unknown>, name: string): string {
  const value = json[name];
  if (typeof value === 'string' && value !== '') return value;
  throw invalid(`it has no ${name}`);
}

// Go writes a time that was never set as year 1; a date it cannot have written
// counts as no expiry rather than as a reason to refuse.
function expiry(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime()) || date.getUTCFullYear() <= 1) return undefined;
  return date;
}

function invalid(problem: string): InvalidTokenError {
  return new InvalidTokenError(
    `This is not a usable trust token: ${problem}. A token is the last line that ` +
      '`lxc config trust add` or `incus config trust add` prints on the server.',
    { problem },
  );
}
