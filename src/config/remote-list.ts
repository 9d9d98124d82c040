import { loadClientConfig, type ClientConfig } from './client-config.js';
import type { Family } from './family.js';
import { entryFile } from './find-remote.js';
import type { ConfigOptions } from './options.js';

/** One remote as `lxd-api remote list` shows it. */
export interface RemoteInfo {
  readonly name: string;
  readonly family: Family;
  readonly addr: string | undefined;
  readonly protocol: string;
  /** The project requests go to: the remote's own, else `default`. */
  readonly project: string;
  readonly authType: string | undefined;
  readonly public: boolean;
  /** Whether it is the default remote of its client config. */
  readonly isDefault: boolean;
  /** The user's file, the system-wide file, or built into the client. */
  readonly source: 'user' | 'global' | 'builtin';
  /** The `config.yml` that defines it (the user's for a built-in one). */
  readonly configFile: string;
}

/** The default remote of a client config, and who chose it. */
export interface DefaultRemote {
  readonly name: string;
  readonly family: Family;
  /** The environment variable (LXC_REMOTE, INCUS_REMOTE), the file, or the client. */
  readonly source: 'env' | 'file' | 'builtin';
  readonly configFile: string;
}

/** Options of the functions that read or edit the remotes of a client config. */
export interface RemoteOptions extends ConfigOptions {
  /** The client config to work on; when absent, as each function says. */
  readonly family?: Family | undefined;
}

/**
 * The remotes of the `lxc` and the `incus` configuration (or of `family` only),
 * LXD first, each sorted by name, with the defaults the clients fill in.
 */
export function listRemotes(options: RemoteOptions = {}): RemoteInfo[] {
  const families: Family[] =
    options.family === undefined ? ['lxd', 'incus'] : [options.family];
  return families.flatMap((family) => remotesOf(loadClientConfig(family, options)));
}

/**
 * The default remote of `family`; without it, the one a host spec without a
 * remote goes to: the `lxc` config's when `lxc` has a config file, else Incus's.
 */
export function getDefaultRemote(options: RemoteOptions = {}): DefaultRemote {
  const config = defaultConfig(options);
  return {
    name: config.defaultRemote,
    family: config.family,
    source: config.defaultRemoteSource,
    configFile: config.paths.file,
  };
}

function defaultConfig(options: RemoteOptions): ClientConfig {
  if (options.family !== undefined) return loadClientConfig(options.family, options);
  const lxd = loadClientConfig('lxd', options);
  return lxd.fileExists ? lxd : loadClientConfig('incus', options);
}

function remotesOf(config: ClientConfig): RemoteInfo[] {
  return [...config.remotes.values()]
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((entry) => ({
      name: entry.name,
      family: config.family,
      addr: entry.addr,
      protocol: entry.protocol,
      project: entry.project ?? 'default',
      authType: entry.authType,
      public: entry.public,
      isDefault: entry.name === config.defaultRemote,
      source: entry.source,
      configFile: entryFile(config, entry),
    }));
}
