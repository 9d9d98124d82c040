import { lstatSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import type { ConfigOptions } from '../../src/config/index.js';
import type { CertPair } from './certs.js';
import { scratchDir } from './scratch.js';

/** A scratch machine for the config layer: a home folder and system-wide folders. */
export interface ConfigFixture {
  readonly root: string;
  readonly home: string;
  /** `~/.config/lxc` */
  readonly lxdDir: string;
  /** `~/.config/incus` */
  readonly incusDir: string;
  /** Stands for /etc/lxd, through LXD_GLOBAL_CONF. */
  readonly lxdGlobalDir: string;
  /** Stands for /etc/incus, through INCUS_GLOBAL_CONF. */
  readonly incusGlobalDir: string;
  readonly env: Record<string, string>;
  /** Options that keep every look-up inside the fixture. */
  options(extraEnv?: Record<string, string>): ConfigOptions;
  /** Writes `content` to `path` (absolute), making its folders; returns the path. */
  write(path: string, content: string): string;
  /** Writes `client.crt` and `client.key` of `pair` into `dir`. */
  writeClientPair(dir: string, pair: CertPair): void;
}

/** Makes an empty fixture in a new temporary folder. */
export function makeConfigFixture(): ConfigFixture {
  const root = scratchDir('config-');
  const home = join(root, 'home');
  mkdirSync(home);
  const lxdGlobalDir = join(root, 'etc', 'lxd');
  const incusGlobalDir = join(root, 'etc', 'incus');
  const env = {
    HOME: home,
    LXD_GLOBAL_CONF: lxdGlobalDir,
    INCUS_GLOBAL_CONF: incusGlobalDir,
  };

  const write = (path: string, content: string): string => {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    return path;
  };

  return {
    root,
    home,
    lxdDir: join(home, '.config', 'lxc'),
    incusDir: join(home, '.config', 'incus'),
    lxdGlobalDir,
    incusGlobalDir,
    env,
    options: (extraEnv = {}) => ({
      env: { ...env, ...extraEnv },
      home,
      // Sockets under /var and /run are looked up inside the fixture's root.
      pathExists: (path) => existsUnder(root, path),
    }),
    write,
    writeClientPair: (dir, pair) => {
      write(join(dir, 'client.crt'), pair.cert);
      write(join(dir, 'client.key'), pair.key);
    },
  };
}

function existsUnder(root: string, path: string): boolean {
  const inside = path.startsWith(root) ? path : join(root, path);
  try {
    lstatSync(inside);
    return true;
  } catch {
    return false;
  }
}
