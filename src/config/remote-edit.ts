import { join } from 'node:path';

import { ConfigError } from '../errors.js';
import { changeConfig } from './change-config.js';
import { loadClientConfig, type ClientConfig } from './client-config.js';
import { displayPath } from './config-dir.js';
import { familyFacts, type Family } from './family.js';
import { envValue, normalizeOptions } from './options.js';
import type { DefaultRemote, RemoteOptions } from './remote-list.js';

/** What `switchRemote` did. */
export interface SwitchedRemote extends DefaultRemote {
  /**
   * The environment variable that overrides the file's default remote, when it
   * is set: the switch is written, but has no effect while it stays set.
   */
  readonly overriddenBy: string | undefined;
}

/** What `removeRemote` did. */
export interface RemovedRemote {
  readonly name: string;
  readonly family: Family;
  readonly configFile: string;
  /** `servercerts/<name>.crt`, when there was one to remove. */
  readonly serverCertificate: string | undefined;
}

/**
 * Makes `name` the default remote, as `lxc remote switch` does. Without `family`
 * the client config that declares `name` is changed; a name both declare needs
 * `family`.
 */
export function switchRemote(name: string, options: RemoteOptions = {}): SwitchedRemote {
  const config = configDeclaring(name, options);
  changeConfig(config, (doc) => {
    doc.setDefaultRemote(name);
  });
  const { env } = normalizeOptions(options);
  const { remoteEnv } = familyFacts[config.family];
  const overridden =
    envValue(env, remoteEnv) !== undefined && envValue(env, remoteEnv) !== name;
  return {
    name,
    family: config.family,
    source: 'file',
    configFile: config.paths.file,
    overriddenBy: overridden ? remoteEnv : undefined,
  };
}

/**
 * Removes the remote `name` and its pinned server certificate, as `lxc remote
 * remove` does, and refuses what the clients refuse: a built-in remote, one of
 * the system-wide file, and the default remote.
 */
export function removeRemote(name: string, options: RemoteOptions = {}): RemovedRemote {
  const config = configDeclaring(name, options);
  const entry = config.remotes.get(name);
  const { client } = familyFacts[config.family];
  const file = config.paths.file;
  const where = `Remote \`${name}\` of ${displayPath(file, config.home)}`;
  const field = `remotes.${name}`;
  if (entry?.source === 'builtin') {
    throw new ConfigError(`${where} is built into ${client} and cannot be removed.`, {
      file,
      field,
    });
  }
  if (entry?.source === 'global') {
    const global = displayPath(config.paths.globalFile, config.home);
    throw new ConfigError(
      `Remote \`${name}\` comes from the system-wide ${global}; remove it there.`,
      { file: config.paths.globalFile, field },
    );
  }
  if (config.defaultRemote === name) {
    throw new ConfigError(
      `${where} is the default remote; make another one the default first ` +
        '(`lxd-api remote switch <remote>`), then remove it.',
      { file, field: 'default-remote' },
    );
  }

  const certificate = join(config.paths.dir, 'servercerts', `${name}.crt`);
  let removed: string | undefined;
  changeConfig(config, (doc, changes) => {
    doc.deleteRemote(name);
    removed = changes.remove(certificate) ? certificate : undefined;
  });
  return { name, family: config.family, configFile: file, serverCertificate: removed };
}

/**
 * The client config that declares `name`: the one of `family` when given, else
 * the only one of the two whose file (or built-in remotes, once it has a file)
 * has it.
 */
export function configDeclaring(name: string, options: RemoteOptions): ClientConfig {
  const families: Family[] =
    options.family === undefined ? ['lxd', 'incus'] : [options.family];
  const configs = families.map((family) => loadClientConfig(family, options));
  const declaring = configs.filter((config) => declares(config, name, options.family));
  const [only, second] = declaring;
  if (only !== undefined && second === undefined) return only;

  const files = configs.map((config) => displayPath(config.paths.file, config.home));
  if (only !== undefined) {
    throw new ConfigError(
      `Remote \`${name}\` is in both ${files.join(' and ')}; say which with --lxd or ` +
        '--incus (`family` in the library).',
      { file: only.paths.file, field: `remotes.${name}` },
    );
  }
  const known = configs
    .map((config) => `${ownRemotes(config)} in ${show(config)}`)
    .join('; ');
  throw new ConfigError(
    `Remote \`${name}\` is not configured (known: ${known}). See \`lxd-api remote ` +
      'list`, or add it with `lxd-api remote add`.',
    { file: configs[0]?.paths.file ?? '', field: `remotes.${name}` },
  );
}

// A built-in remote such as `local` counts only for a client that has a file,
// unless the caller named the family.
function declares(config: ClientConfig, name: string, chosen: Family | undefined) {
  const entry = config.remotes.get(name);
  if (entry === undefined) return false;
  return chosen !== undefined || entry.source !== 'builtin' || config.fileExists;
}

function ownRemotes(config: ClientConfig): string {
  const names = [...config.remotes.values()]
    .filter((entry) => entry.source !== 'builtin')
    .map((entry) => entry.name)
    .sort();
  return names.length === 0 ? 'none' : names.join(', ');
}

function show(config: ClientConfig): string {
  return displayPath(config.paths.file, config.home);
}
