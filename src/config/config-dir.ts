import { isAbsolute, join, sep } from 'node:path';

import { familyFacts, type Family } from './family.js';
import { envValue, normalizeOptions, type ConfigOptions } from './options.js';

/** Where a client keeps its configuration: the user's folder and the system-wide one. */
export interface ConfigPaths {
  readonly family: Family;
  /** The user's folder: `config.yml`, `client.crt`, `client.key`, `servercerts/`. */
  readonly dir: string;
  /** The user's `config.yml`. */
  readonly file: string;
  /** The system-wide folder; its `servercerts/` holds the certificates of its remotes. */
  readonly globalDir: string;
  /** The system-wide `config.yml`, whose remotes fill in those the user's file lacks. */
  readonly globalFile: string;
}

/** Finds the config folders of `family` the way its client does. */
export function findConfigPaths(
  family: Family,
  options: ConfigOptions = {},
): ConfigPaths {
  const { env } = normalizeOptions(options);
  const facts = familyFacts[family];
  const dir = envValue(env, facts.confEnv) ?? defaultUserDir(family, options);

  // Both clients take the global variable as a folder, not a file: they read
  // `config.yml` and `servercerts/<remote>.crt` inside it.
  const globalDir = envValue(env, facts.globalConfEnv) ?? join('/etc', family);
  return {
    family,
    dir,
    file: join(dir, 'config.yml'),
    globalDir,
    globalFile: join(globalDir, 'config.yml'),
  };
}

/** `path` for a message: under the home folder it is written `~/…`. */
export function displayPath(path: string, home: string): string {
  if (home === '' || home === sep) return path;
  const base = home.endsWith(sep) ? home.slice(0, -1) : home;
  if (path === base) return '~';
  return path.startsWith(base + sep) ? `~${path.slice(base.length)}` : path;
}

function defaultUserDir(family: Family, options: ConfigOptions): string {
  const { env, home, pathExists } = normalizeOptions(options);
  const dotConfig = join(home, '.config');

  if (family === 'lxd') {
    // The snap's `lxc` keeps its config inside the snap's home; a user with only
    // the snap has that folder and no `~/.config/lxc`.
    const plain = join(dotConfig, 'lxc');
    const snap = join(home, 'snap', 'lxd', 'common', 'config');
    return !pathExists(plain) && pathExists(snap) ? snap : plain;
  }

  // Incus 7 moved to the platform's config folder (`$XDG_CONFIG_HOME`, which Go
  // honours only when absolute) and migrates `~/.config/incus` there on first use;
  // Incus 6 always uses `~/.config/incus`.
  const plain = join(dotConfig, 'incus');
  const xdg = envValue(env, 'XDG_CONFIG_HOME');
  if (xdg !== undefined && isAbsolute(xdg)) {
    const moved = join(xdg, 'incus');
    if (moved !== plain && pathExists(moved)) return moved;
  }
  return plain;
}
