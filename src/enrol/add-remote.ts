import { LxdApi } from '../api/api-client.js';
import { serverFacts } from '../api/server-facts.js';
import { loadClientConfig } from '../config/client-config.js';
import { familyFacts, type Family } from '../config/family.js';
import type { ConfigOptions } from '../config/options.js';
import { checkNewRemote, saveRemote, storeIdentity } from '../config/save-remote.js';
import { ConfigError } from '../errors.js';
import type { HttpsEndpoint } from '../transport/endpoint.js';
import { RemoteTransport } from '../transport/transport.js';
import { InvalidTokenError, type FailedAttempt } from './errors.js';
import { chooseProject, establishTrust } from './establish-trust.js';
import { chooseIdentity, identityToStore, type PresentedIdentity } from './identity.js';
import {
  reachServer,
  type ExpectedCertificate,
  type ReachedServer,
} from './reach-server.js';
import { decodeTrustToken, type TrustToken } from './trust-token.js';

/** Options of `addRemoteWithToken` and `addRemote`. */
export interface AddRemoteOptions extends ConfigOptions {
  /**
   * The client config to write into. When absent, the server decides: Incus's
   * for an Incus server, else `lxc`'s; the name must then be free in both.
   */
  readonly family?: Family | undefined;
  /** The project requests go to; when absent, chosen as the clients choose it. */
  readonly project?: string | undefined;
  /** Replace a remote of the same name. */
  readonly force?: boolean | undefined;
  /** Milliseconds to reach each address, TCP and TLS together. Default 10 s. */
  readonly connectTimeout?: number | undefined;
}

/** Options of `addRemote`. */
export interface AddUrlOptions extends AddRemoteOptions {
  /**
   * The SHA-256 fingerprint of the server's certificate, to pin it when no CA
   * vouches for it (hex, colons allowed). Without it, such a server is refused.
   */
  readonly acceptCertificate?: string | undefined;
}

/** A remote added: where it was written and what the server turned out to be. */
export interface AddedRemote {
  readonly name: string;
  readonly family: Family;
  readonly configFile: string;
  /** `https://host:port`, as written in the config. */
  readonly addr: string;
  /** The project requests go to; `default` when the remote names none. */
  readonly project: string;
  readonly server: { readonly kind: 'lxd' | 'incus'; readonly version: string };
  /** SHA-256 of the server's certificate. */
  readonly serverFingerprint: string;
  /** Whether that certificate was pinned in `servercerts/<name>.crt`. */
  readonly pinned: boolean;
  /** SHA-256 of the client certificate the server now trusts. */
  readonly clientFingerprint: string;
  /** Whether that certificate was made for this enrolment. */
  readonly generatedCertificate: boolean;
  /**
   * Whether the server took the token; false when it trusted this client before
   * and refused it (the token is then still pending); undefined without a token.
   */
  readonly tokenUsed: boolean | undefined;
  /** Addresses tried before the one that answered. */
  readonly unreachable: readonly FailedAttempt[];
}

/**
 * Enrols this machine with a server through a trust token (what `lxc config trust
 * add` prints) and writes the remote `name` as `lxc remote add NAME TOKEN` would.
 * The server's certificate must have the token's fingerprint before anything is
 * sent to it; only then does the token go out, with our client certificate (made
 * now, as the clients make it, when there is none).
 */
export async function addRemoteWithToken(
  name: string,
  token: string | TrustToken,
  options: AddRemoteOptions = {},
): Promise<AddedRemote> {
  const decoded = typeof token === 'string' ? decodeTrustToken(token) : token;
  if (decoded.type !== '') {
    throw new InvalidTokenError(
      `This token is for LXD's identities API (type \`${decoded.type}\`), which is ` +
        'not supported; make one with `lxc config trust add` instead.',
      { problem: `type ${decoded.type}` },
    );
  }
  const urls = decoded.addresses.map((address) => `https://${address}`);
  const expected = { fingerprint: decoded.fingerprint, from: 'token' } as const;
  return enrol(name, { urls, expected, token: decoded }, options);
}

/**
 * Adds the remote `name` at `url` (`https://host[:port]`, `host[:port]`) for a
 * server that trusts this client already, as `lxc remote add NAME URL` would. Its
 * certificate must chain to a CA, or have the `acceptCertificate` fingerprint.
 */
export async function addRemote(
  name: string,
  url: string,
  options: AddUrlOptions = {},
): Promise<AddedRemote> {
  const accept = options.acceptCertificate;
  const expected: ExpectedCertificate | undefined =
    accept === undefined
      ? undefined
      : { fingerprint: normalizeFingerprint(accept), from: 'accept-certificate' };
  const full = /^[a-z][a-z0-9+.-]*:\/\//iu.test(url) ? url : `https://${url}`;
  return enrol(name, { urls: [full], expected, token: undefined }, options);
}

interface Plan {
  readonly urls: readonly string[];
  readonly expected: ExpectedCertificate | undefined;
  readonly token: TrustToken | undefined;
}

async function enrol(
  name: string,
  plan: Plan,
  options: AddRemoteOptions,
): Promise<AddedRemote> {
  const families: Family[] =
    options.family === undefined ? ['lxd', 'incus'] : [options.family];
  const configs = families.map((family) => loadClientConfig(family, options));
  for (const config of configs) checkNewRemote(config, name, options.force ?? false);
  const identity = chooseIdentity(configs, name);
  const reached = await reachServer(name, plan.urls, {
    family: families[0] ?? 'lxd',
    expected: plan.expected,
    timeout: options.connectTimeout ?? 10_000,
  });

  const client = familyFacts[options.family ?? 'lxd'].client as 'lxc' | 'incus';
  const transport = new RemoteTransport(endpoint(name, client, reached, identity), {
    connectTimeout: options.connectTimeout ?? 10_000,
  });
  try {
    const api = new LxdApi(transport, { project: 'default' });
    const trusted = await establishTrust(
      api,
      { remote: name, addr: reached.addr },
      plan.token,
    );
    const facts = serverFacts(trusted.info);
    const family = options.family ?? facts.kind;
    const config = configs.find((each) => each.family === family) ?? configs[0];
    if (config === undefined) throw new TypeError('no client config to write into');

    // The server trusts this certificate from now on: keep it before anything
    // else can fail, or the trust would be wasted.
    const stored = identityToStore(config, name, identity);
    if (stored !== undefined) storeIdentity(config, name, stored);
    const project = await chooseProject(api, facts, name, options.project);
    saveRemote(config, {
      name,
      remote: {
        addr: reached.addr,
        protocol: familyFacts[family].instanceProtocol,
        project,
      },
      serverCertificate: reached.pin
        ? reached.presented.certificate.toString()
        : undefined,
    });
    return {
      name,
      family,
      configFile: config.paths.file,
      addr: reached.addr,
      project: project === '' ? 'default' : project,
      server: { kind: facts.kind, version: facts.version },
      serverFingerprint: reached.presented.fingerprint,
      pinned: reached.pin,
      clientFingerprint: identity.fingerprint,
      generatedCertificate: identity.from === undefined,
      tokenUsed: plan.token === undefined ? undefined : trusted.tokenUsed,
      unreachable: reached.failed,
    };
  } finally {
    await transport.close();
  }
}

function endpoint(
  name: string,
  client: 'lxc' | 'incus',
  reached: ReachedServer,
  identity: PresentedIdentity,
): HttpsEndpoint {
  const fingerprint = reached.presented.fingerprint;
  return {
    kind: 'https',
    remote: name,
    client,
    origin: reached.address.origin,
    host: reached.address.host,
    port: reached.address.port,
    clientCert: identity.cert,
    clientKey: identity.key,
    // Every connection is held to the certificate checked first, so that no other
    // server can step in between the check and the token.
    ...(reached.pin
      ? { pinned: { fingerprint, file: 'the certificate checked first' } }
      : {}),
  };
}

function normalizeFingerprint(value: string): string {
  const hex = value.replaceAll(':', '').trim().toLowerCase();
  if (/^[0-9a-f]{64}$/u.test(hex)) return hex;
  throw new ConfigError(
    `--accept-certificate takes the server certificate's SHA-256 fingerprint, 64 hex ` +
      `digits (colons allowed), not \`${value}\`; \`lxc info\` or \`incus info\` on ` +
      'the server shows it as certificate_fingerprint.',
    { field: 'accept-certificate' },
  );
}
