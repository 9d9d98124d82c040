import { ConfigError } from '../errors.js';
import type { ClientConfig, RemoteEntry } from './client-config.js';
import { displayPath } from './config-dir.js';
import { familyFacts } from './family.js';

/**
 * The remote `name` of `config`, checked to be an instance server this library
 * can log in to.
 *
 * @param asDefault the name is the default remote, not one the caller wrote
 */
export function findRemote(
  config: ClientConfig,
  name: string,
  asDefault = false,
): RemoteEntry {
  const entry = config.remotes.get(name);
  if (entry === undefined) {
    throw asDefault ? missingDefault(config) : unknownRemote(config, name);
  }
  checkInstanceServer(config, entry);
  checkAuthType(config, entry);
  return entry;
}

/** The names of the remotes of `config` that hold instances, sorted. */
export function instanceServers(config: ClientConfig): string[] {
  const { instanceProtocol } = familyFacts[config.family];
  return [...config.remotes.values()]
    .filter((entry) => !entry.public && entry.protocol === instanceProtocol)
    .map((entry) => entry.name)
    .sort();
}

/** `config.yml` of the file that defines `entry`, as messages write it. */
export function entryFile(config: ClientConfig, entry: RemoteEntry): string {
  return entry.source === 'global' ? config.paths.globalFile : config.paths.file;
}

/** `(known instance servers: a, b)` for messages. */
export function knownList(config: ClientConfig): string {
  const names = instanceServers(config);
  if (names.length === 0) return '(no instance server is known)';
  return `(known instance servers: ${names.join(', ')})`;
}

function unknownRemote(config: ClientConfig, name: string): ConfigError {
  const { client } = familyFacts[config.family];
  const { file } = config.paths;
  const add = `Add it with \`${client} remote add ${name} <address>\``;
  const message = config.fileExists
    ? `Remote \`${name}\` ${notIn(config)} ${knownList(config)}. ${add}.`
    : `Remote \`${name}\` is not configured: ${show(config, file)} does not exist ` +
      `and the built-in remotes lack it ${knownList(config)}. ${add}, which creates ` +
      'the file.';
  return new ConfigError(message, { file, field: `remotes.${name}` });
}

function missingDefault(config: ClientConfig): ConfigError {
  const { client, remoteEnv } = familyFacts[config.family];
  const { file } = config.paths;
  const name = config.defaultRemote;
  const chosen =
    config.defaultRemoteSource === 'env'
      ? `set by ${remoteEnv}`
      : `the default-remote of ${show(config, file)}`;
  const change =
    config.defaultRemoteSource === 'env'
      ? `set ${remoteEnv} to a known remote`
      : `pick another default with \`${client} remote switch <remote>\``;
  const missing = config.fileExists
    ? notIn(config)
    : `is unknown: ${show(config, file)} does not exist`;
  return new ConfigError(
    `The default remote \`${name}\`, ${chosen}, ${missing} ${knownList(config)}. ` +
      `Name the remote in the host spec (\`<remote>:<instance>\`), ${change}, or add ` +
      `it with \`${client} remote add ${name} <address>\`.`,
    { file, field: 'default-remote' },
  );
}

function checkInstanceServer(config: ClientConfig, entry: RemoteEntry): void {
  const { product, client, instanceProtocol, imageProtocols } =
    familyFacts[config.family];
  const field = `remotes.${entry.name}`;
  const where = `Remote \`${entry.name}\` in ${show(config, entryFile(config, entry))}`;
  const list = `\`${client} remote list\``;
  const pick = `pick a remote that ${list} shows with protocol ${instanceProtocol}`;

  if (imageProtocols.includes(entry.protocol)) {
    throw new ConfigError(
      `${where} is an image server (protocol ${entry.protocol}), not an instance ` +
        `server: it has no instances to run commands in; ${pick}.`,
      { file: entryFile(config, entry), field: `${field}.protocol` },
    );
  }
  if (entry.protocol !== instanceProtocol) {
    const known = [instanceProtocol, ...imageProtocols].map((p) => `\`${p}\``).join(', ');
    throw new ConfigError(
      `${where} has protocol \`${entry.protocol}\`, which ${product} does not know ` +
        `(${known}); write \`protocol: ${instanceProtocol}\` for an instance ` +
        `server, or add the remote again with \`${client} remote add\`.`,
      { file: entryFile(config, entry), field: `${field}.protocol` },
    );
  }
  if (entry.public) {
    throw new ConfigError(
      `${where} is public (public: true): a public server shares images only and ` +
        `runs nothing for its guests; ${pick}.`,
      { file: entryFile(config, entry), field: `${field}.public` },
    );
  }
}

// Candid and OIDC logins need a browser and stored tokens; only client
// certificates are supported, which is what `lxc remote add` uses by default.
function checkAuthType(config: ClientConfig, entry: RemoteEntry): void {
  if (entry.authType === undefined || entry.authType === 'tls') return;
  const { client } = familyFacts[config.family];
  throw new ConfigError(
    `Remote \`${entry.name}\` in ${show(config, entryFile(config, entry))} uses ` +
      `auth_type \`${entry.authType}\`, which lxd-api-connector does not support: it ` +
      `logs in with TLS client certificates only. Add the remote again with ` +
      `\`${client} remote add ${entry.name} <address> --auth-type=tls\`.`,
    { file: entryFile(config, entry), field: `remotes.${entry.name}.auth_type` },
  );
}

function notIn(config: ClientConfig): string {
  const user = show(config, config.paths.file);
  if (!config.globalFileExists) return `is not in ${user}`;
  return `is in neither ${user} nor ${show(config, config.paths.globalFile)}`;
}

function show(config: ClientConfig, path: string): string {
  return displayPath(path, config.home);
}
