import { join } from 'node:path';

import type { Family } from './family.js';
import { envValue, normalizeOptions, type ConfigOptions } from './options.js';

/** The socket `addr: unix://` stands for, found the way the family's client finds it. */
export function defaultSocketPath(family: Family, options: ConfigOptions = {}): string {
  const { env, pathExists } = normalizeOptions(options);
  const socketEnv = family === 'lxd' ? 'LXD_SOCKET' : 'INCUS_SOCKET';
  const dirEnv = family === 'lxd' ? 'LXD_DIR' : 'INCUS_DIR';

  const socket = envValue(env, socketEnv);
  if (socket !== undefined) return socket;
  const dir = envValue(env, dirEnv);
  if (dir !== undefined) return join(dir, socketName);

  return family === 'lxd' ? lxdSocket(pathExists) : incusSocket(pathExists);
}

const socketName = 'unix.socket';

// The Debian package serves under /var/lib/lxd, the snap under /var/snap. Note:
// `lxc` 5.0 never looks at the snap socket and `lxc` 6.1+ prefers it whenever it
// is writable; here the deb socket wins while it exists, the snap's otherwise.
function lxdSocket(pathExists: (path: string) => boolean): string {
  const deb = join('/var/lib/lxd', socketName);
  const snap = join('/var/snap/lxd/common/lxd', socketName);
  return !pathExists(deb) && pathExists(snap) ? snap : deb;
}

// Incus moved its socket to /run/incus; older packages and some distributions
// still serve it under /var/lib/incus.
function incusSocket(pathExists: (path: string) => boolean): string {
  const run = join('/run/incus', socketName);
  return pathExists(run) ? run : join('/var/lib/incus', socketName);
}
