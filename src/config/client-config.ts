import { defaultRemotes, staticRemotes, type BuiltinRemote } from './builtin-remotes.js';
import { displayPath, findConfigPaths, type ConfigPaths } from './config-dir.js';
import { parseConfigFile, type RemoteFields } from './config-file.js';
import { familyFacts, type Family } from './family.js';
import { envValue, normalizeOptions, type ConfigOptions } from './options.js';
import { readYamlFile } from './yaml-file.js';

/** The configuration of one client (`lxc` or `incus`), as that client would see it. */
export interface ClientConfig {
  readonly family: Family;
  readonly paths: ConfigPaths;
  /** Whether the user's `config.yml` exists; without it only built-in remotes exist. */
  readonly fileExists: boolean;
  /** Whether the system-wide `config.yml` exists. */
  readonly globalFileExists: boolean;
  /** The remote a host spec without one goes to. */
  readonly defaultRemote: string;
  /** Who chose it: the environment variable, the file, or the client's own default. */
  readonly defaultRemoteSource: 'env' | 'file' | 'builtin';
  readonly remotes: ReadonlyMap<string, RemoteEntry>;
  /** The home folder messages shorten to `~`. */
  readonly home: string;
}

/** One remote of a client config, with the client's defaults filled in. */
export interface RemoteEntry {
  readonly name: string;
  /** The user's file, the system-wide file, or the client itself. */
  readonly source: 'user' | 'global' | 'builtin';
  readonly addr: string | undefined;
  /** `lxd` / `incus` for an instance server when the file leaves it out. */
  readonly protocol: string;
  /** `tls` when the file leaves it out of a remote that is not public. */
  readonly authType: string | undefined;
  readonly project: string | undefined;
  readonly public: boolean;
  readonly keepalive: number | undefined;
  readonly lastWorkingAddress: string | undefined;
}

/** Reads the user's and the system-wide `config.yml` of `family` and merges them. */
export function loadClientConfig(
  family: Family,
  options: ConfigOptions = {},
): ClientConfig {
  const { env, home } = normalizeOptions(options);
  const paths = findConfigPaths(family, options);
  const user = readConfig(paths.file, family, home, 'throw');
  // The clients skip a system-wide file they cannot read, but not a broken one.
  const global = readConfig(paths.globalFile, family, home, 'skip');

  // Without a config.yml the clients run on their built-in remotes, with `local`
  // (the unix socket) as the default remote, and write the file on first use.
  const remotes = new Map<string, RemoteEntry>();
  if (user === undefined) {
    for (const [name, builtin] of defaultRemotes(family)) {
      remotes.set(name, fromBuiltin(name, builtin, undefined));
    }
  } else {
    for (const [name, fields] of user.remotes) {
      remotes.set(name, fromFile(family, name, 'user', fields));
    }
  }

  // The clients ignore the system-wide file until the user's exists, which is only
  // until their first run; its remotes are taken in either case here.
  for (const [name, fields] of global?.remotes ?? []) {
    if (!remotes.has(name)) remotes.set(name, fromFile(family, name, 'global', fields));
  }

  for (const [name, builtin] of staticRemotes(family)) {
    remotes.set(name, fromBuiltin(name, builtin, remotes.get(name)?.project));
  }

  const fromEnv = envValue(env, familyFacts[family].remoteEnv);
  const fromFileDefault = nonEmpty(user?.defaultRemote);
  return {
    family,
    paths,
    fileExists: user !== undefined,
    globalFileExists: global !== undefined,
    defaultRemote: fromEnv ?? fromFileDefault ?? 'local',
    defaultRemoteSource: sourceOf(fromEnv, fromFileDefault),
    remotes,
    home,
  };
}

function readConfig(
  file: string,
  family: Family,
  home: string,
  unreadable: 'throw' | 'skip',
) {
  const display = displayPath(file, home);
  const yaml = readYamlFile(file, display, unreadable);
  return yaml === undefined ? undefined : parseConfigFile(yaml, family, display);
}

function fromFile(
  family: Family,
  name: string,
  source: 'user' | 'global',
  fields: RemoteFields,
): RemoteEntry {
  const isPublic = fields.public ?? false;
  return {
    name,
    source,
    addr: fields.addr,
    protocol: nonEmpty(fields.protocol) ?? familyFacts[family].instanceProtocol,
    authType: nonEmpty(fields.authType) ?? (isPublic ? undefined : 'tls'),
    project: nonEmpty(fields.project),
    public: isPublic,
    keepalive: fields.keepalive,
    lastWorkingAddress: fields.lastWorkingAddress,
  };
}

// A static remote keeps the project the file gives it and nothing else.
function fromBuiltin(
  name: string,
  builtin: BuiltinRemote,
  project: string | undefined,
): RemoteEntry {
  return {
    name,
    source: 'builtin',
    addr: builtin.addr,
    protocol: builtin.protocol,
    authType: builtin.public ? undefined : 'tls',
    project,
    public: builtin.public,
    keepalive: undefined,
    lastWorkingAddress: undefined,
  };
}

function sourceOf(
  fromEnv: string | undefined,
  fromFile: string | undefined,
): ClientConfig['defaultRemoteSource'] {
  if (fromEnv !== undefined) return 'env';
  return fromFile === undefined ? 'builtin' : 'file';
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === '' ? undefined : value;
}
