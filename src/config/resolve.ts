import { ConfigError, HostSpecError } from '../errors.js';
import {
  loadClientConfig,
  type ClientConfig,
  type RemoteEntry,
} from './client-config.js';
import { displayPath } from './config-dir.js';
import { loadTlsCredentials, type TlsCredentials } from './credentials.js';
import { familyFacts, type Family } from './family.js';
import { entryFile, findRemote, instanceServers } from './find-remote.js';
import { parseHostSpec, remoteNameProblem, type HostSpec } from './host-spec.js';
import type { ConfigOptions } from './options.js';
import { parseRemoteAddress, type RemoteAddress } from './remote-address.js';

/** A remote ready to connect to: where it listens, in which project, as whom. */
export interface ResolvedRemote {
  readonly name: string;
  readonly family: Family;
  /** The `config.yml` that defines the remote (the user's for a built-in one). */
  readonly configFile: string;
  /** Where to connect: the first of `addresses`. */
  readonly address: RemoteAddress;
  /** Every address, the one to try first first (Incus 7 allows several). */
  readonly addresses: readonly RemoteAddress[];
  /** The project every request names; `default` when the remote sets none. */
  readonly project: string;
  /** Incus only: seconds its client keeps an idle connection; undefined when unset. */
  readonly keepalive: number | undefined;
  /** The TLS files for an HTTPS remote; undefined for a unix socket. */
  readonly credentials: TlsCredentials | undefined;
}

/** A host spec resolved: the remote, the instance on it, and the project it is in. */
export interface ResolvedHost {
  readonly remote: ResolvedRemote;
  readonly instance: string;
  readonly project: string;
}

/** Resolves a host spec against the client configs, as `lxc` or `incus` would. */
export function resolveHost(
  spec: string | HostSpec,
  options: ConfigOptions = {},
): ResolvedHost {
  const host = typeof spec === 'string' ? parseHostSpec(spec) : spec;
  const config = chooseConfig(host, options);
  const name = host.remote ?? config.defaultRemote;
  const remote = resolveIn(config, name, host.remote === undefined, options);
  return { remote, instance: host.instance, project: remote.project };
}

/** Resolves the remote `name` of the `family` client config. */
export function resolveRemote(
  family: Family,
  name: string,
  options: ConfigOptions = {},
): ResolvedRemote {
  return resolveIn(loadClientConfig(family, options), name, false, options);
}

function resolveIn(
  config: ClientConfig,
  name: string,
  asDefault: boolean,
  options: ConfigOptions,
): ResolvedRemote {
  checkRemoteName(config, name);
  const entry = findRemote(config, name, asDefault);
  const addresses = parseAddresses(config, entry, options);
  const [address] = addresses;
  if (address === undefined) throw noAddress(config, entry);

  const https = addresses.some((each) => each.kind === 'https');
  return {
    name,
    family: config.family,
    configFile: entryFile(config, entry),
    address,
    addresses,
    project: entry.project ?? 'default',
    keepalive: entry.keepalive,
    credentials: https ? loadTlsCredentials(config, entry) : undefined,
  };
}

// A bare `<instance>` goes to LXD when `lxc` has been used here (its config.yml
// exists), else to Incus. A bare `<remote>:` goes where the remote is declared;
// a built-in remote such as `local` counts only for a client that has a file.
function chooseConfig(host: HostSpec, options: ConfigOptions): ClientConfig {
  if (host.family !== undefined) return loadClientConfig(host.family, options);

  const lxd = loadClientConfig('lxd', options);
  if (host.remote === undefined) {
    return lxd.fileExists ? lxd : loadClientConfig('incus', options);
  }

  const incus = loadClientConfig('incus', options);
  const inLxd = declares(lxd, host.remote);
  const inIncus = declares(incus, host.remote);
  if (inLxd && inIncus) throw ambiguous(host, host.remote, [lxd, incus]);
  if (inLxd) return lxd;
  if (inIncus) return incus;

  const fallback = lxd.fileExists ? lxd : incus;
  if (fallback.remotes.has(host.remote)) return fallback;
  throw unknownInBoth(host.remote, fallback, lxd, incus);
}

function declares(config: ClientConfig, name: string): boolean {
  const entry = config.remotes.get(name);
  return entry !== undefined && (entry.source !== 'builtin' || config.fileExists);
}

// Incus 7 writes several addresses into one `addr`, separated by commas, and
// remembers which one answered last; that one is tried first.
function parseAddresses(
  config: ClientConfig,
  entry: RemoteEntry,
  options: ConfigOptions,
): RemoteAddress[] {
  if (entry.addr === undefined || entry.addr.trim() === '') return [];
  const raw =
    config.family === 'incus'
      ? entry.addr
          .split(',')
          .map((each) => each.trim())
          .filter((each) => each !== '')
      : [entry.addr];

  const last = raw.indexOf(entry.lastWorkingAddress ?? '');
  const ordered = last > 0 ? [...raw.slice(last), ...raw.slice(0, last)] : raw;
  const file = entryFile(config, entry);
  const source = {
    file,
    field: `remotes.${entry.name}.addr`,
    display: displayPath(file, config.home),
  };
  return ordered.map((addr) => parseRemoteAddress(addr, config.family, source, options));
}

// The name becomes a file name under servercerts/, so it must not leave that folder.
function checkRemoteName(config: ClientConfig, name: string): void {
  const problem = remoteNameProblem(name);
  if (problem === undefined) return;
  throw new ConfigError(
    `Remote name \`${name}\` ${problem}; rename the remote with ` +
      `\`${familyFacts[config.family].client} remote rename\`.`,
    { file: config.paths.file, field: `remotes.${name}` },
  );
}

function noAddress(config: ClientConfig, entry: RemoteEntry): ConfigError {
  const file = entryFile(config, entry);
  const { client } = familyFacts[config.family];
  return new ConfigError(
    `Remote \`${entry.name}\` in ${displayPath(file, config.home)} has no addr; write ` +
      `\`addr: https://<host>:8443\` or \`addr: unix://\` under it, or add the ` +
      `remote again with \`${client} remote add\`.`,
    { file, field: `remotes.${entry.name}.addr` },
  );
}

function ambiguous(
  host: HostSpec,
  remote: string,
  [lxd, incus]: [ClientConfig, ClientConfig],
): HostSpecError {
  const rest = `${remote}:${host.instance}`;
  const files = [lxd, incus].map((config) => displayPath(config.paths.file, config.home));
  return new HostSpecError(
    host.spec,
    `Host spec \`${host.spec}\` is ambiguous: remote \`${remote}\` is in both ` +
      `${files.join(' and ')}; write \`@lxd_api/${rest}\` or \`@incus_api/${rest}\`.`,
  );
}

function unknownInBoth(
  name: string,
  fallback: ClientConfig,
  lxd: ClientConfig,
  incus: ClientConfig,
): ConfigError {
  const file = (config: ClientConfig) => {
    const shown = displayPath(config.paths.file, config.home);
    return config.fileExists ? shown : `${shown} (which does not exist)`;
  };
  const known = (config: ClientConfig) => instanceServers(config).join(', ') || 'none';
  const servers = `${known(lxd)} for LXD, ${known(incus)} for Incus`;
  return new ConfigError(
    `Remote \`${name}\` is in neither ${file(lxd)} nor ${file(incus)} (known ` +
      `instance servers: ${servers}). Add it with \`lxc remote add ${name} <address>\` ` +
      `or \`incus remote add ${name} <address>\`.`,
    { file: fallback.paths.file, field: `remotes.${name}` },
  );
}
