import type { LxdApi } from '../api/api-client.js';
import { ApiError, AuthenticationError } from '../api/errors.js';
import type { ServerFacts, ServerInfo } from '../api/server-facts.js';
import { addCertificateWithToken, projectExists, projectNames } from '../api/trust.js';
import { ExpiredTokenError, ProjectChoiceError, RejectedTokenError } from './errors.js';
import type { TrustToken } from './trust-token.js';

/** The server's trusted answer to `GET /1.0`, and whether the token was spent. */
export interface Trusted {
  readonly info: ServerInfo;
  /**
   * False when the server trusted this client before: then it refused the token
   * (LXD 5.0 and Incus do, to a trusted client) and the token is still pending.
   */
  readonly tokenUsed: boolean;
}

/**
 * Makes the server trust the client certificate the connection presents: with
 * `token`, by sending it; without, by finding that it does already.
 */
export async function establishTrust(
  api: LxdApi,
  where: { remote: string; addr: string },
  token: TrustToken | undefined,
): Promise<Trusted> {
  const before = await api.serverInfo();
  if (token === undefined) {
    if (before.auth === 'trusted') return { info: before, tokenUsed: false };
    throw new AuthenticationError(
      `The server at ${where.addr} does not trust this client's certificate, so ` +
        `remote \`${where.remote}\` cannot be added with an address alone. On the ` +
        'server, run `lxc config trust add` (or `incus config trust add`) and add the ' +
        'remote with the token it prints: ' +
        `\`lxd-api remote add ${where.remote} <token>\`.`,
      { remote: where.remote },
    );
  }

  const field = before.api_extensions.includes('explicit_trust_token')
    ? 'trust_token'
    : 'both';
  let refusal: ApiError | undefined;
  try {
    await addCertificateWithToken(api, token.text, field);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    refusal = error;
  }

  const after = await api.serverInfo();
  if (after.auth === 'trusted') return { info: after, tokenUsed: refusal === undefined };
  if (refusal !== undefined) throw tokenRefused(refusal, token, where.addr);
  throw new AuthenticationError(
    `The server at ${where.addr} accepted the trust token but does not trust this ` +
      `client; check \`lxc config trust list\` (or \`incus config trust list\`) there.`,
    { remote: where.remote },
  );
}

/**
 * The project the remote is written with, as the clients choose it: the one
 * asked for, which must exist; else none (the server's `default`) when this
 * client may use it, or the only project it may use.
 */
export async function chooseProject(
  api: LxdApi,
  facts: ServerFacts,
  remote: string,
  wanted: string | undefined,
): Promise<string> {
  if (wanted !== undefined && wanted !== '') {
    if (await projectExists(api, wanted)) return wanted;
    const available = await projectNames(api);
    throw new ProjectChoiceError(
      `Project \`${wanted}\` does not exist on remote \`${remote}\`, or this client ` +
        `may not use it (it may use: ${available.join(', ') || 'none'}); name one ` +
        'of those with --project.',
      { remote, project: wanted, available },
    );
  }
  if (!facts.extensions.has('projects')) return '';

  const names = await projectNames(api);
  if (names.length === 0 || names.includes('default')) return '';
  const [only] = names;
  if (names.length === 1 && only !== undefined) return only;
  throw new ProjectChoiceError(
    `This client may use several projects on remote \`${remote}\`, and not ` +
      `\`default\`: ${names.join(', ')}; choose one with --project.`,
    { remote, available: names },
  );
}

// LXD 5.0 and Incus answer 403 for a token they have no pending operation for
// (used up, revoked, or made elsewhere), and 500 with "Token has expired" for an
// expired one, which they cancel on the spot.
function tokenRefused(error: ApiError, token: TrustToken, addr: string): Error {
  const ask =
    'Ask for a new one: `lxc config trust add` (or `incus config trust add`) there.';
  if (/expired/iu.test(error.serverMessage)) {
    return new ExpiredTokenError(
      `The server at ${addr} says the trust token for \`${token.clientName}\` has ` +
        `expired. ${ask}`,
      { clientName: token.clientName },
    );
  }
  if (error.status !== 403) return error;
  return new RejectedTokenError(
    `The server at ${addr} refused the trust token for \`${token.clientName}\` ` +
      `(${error.serverMessage || 'forbidden'}): it has been used already, revoked, or ` +
      `was made by another server. ${ask}`,
    {
      clientName: token.clientName,
      address: addr,
      serverMessage: error.serverMessage,
      cause: error,
    },
  );
}
