import type { ClientConfig } from '../config/client-config.js';
import { generateClientCertificate } from '../config/client-certificate.js';
import { loadClientIdentity } from '../config/credentials.js';
import type { Family } from '../config/family.js';
import type { StoredIdentity } from '../config/save-remote.js';

/** The client certificate an enrolment presents, and where it comes from. */
export interface PresentedIdentity {
  readonly cert: string;
  readonly key: string;
  readonly fingerprint: string;
  /** The config it was read from; undefined for one made for this enrolment. */
  readonly from: Family | undefined;
}

/**
 * The identity to present to a new remote `name`: the first of `configs` that
 * has one gives it; when none has, a new one is made as the clients make theirs.
 */
export function chooseIdentity(
  configs: readonly ClientConfig[],
  name: string,
): PresentedIdentity {
  for (const config of configs) {
    const own = loadClientIdentity(config, name);
    if (own === undefined) continue;
    return {
      cert: own.certificate.pem,
      key: own.key.pem,
      fingerprint: own.certificate.fingerprint,
      from: config.family,
    };
  }
  const made = generateClientCertificate(configs[0]?.family ?? 'lxd');
  return { ...made, from: undefined };
}

/**
 * What to store so that `config` presents `identity` to `name`: nothing when it
 * does already; the client's own pair when it has none; else, Incus only, a pair
 * for this one remote (`clientcerts/<name>.crt`), which Incus prefers.
 */
export function identityToStore(
  config: ClientConfig,
  name: string,
  identity: PresentedIdentity,
): StoredIdentity | undefined {
  const own = loadClientIdentity(config, name);
  if (own?.certificate.fingerprint === identity.fingerprint) return undefined;
  const pair = { cert: identity.cert, key: identity.key };
  if (own === undefined) return { ...pair, as: 'client' };
  // Only reached for Incus: an LXD enrolment always presents lxc's own pair when
  // it has one.
  return { ...pair, as: 'remote' };
}
