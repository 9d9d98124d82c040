import type { Family } from './family.js';

/** A remote the client knows without being told, as its fields would read in a file. */
export interface BuiltinRemote {
  readonly addr: string;
  readonly protocol: string;
  readonly public: boolean;
}

/** The remotes of `family` no file can change; a file's entry keeps only its project. */
export function staticRemotes(family: Family): ReadonlyMap<string, BuiltinRemote> {
  return family === 'lxd' ? lxdBuiltins : new Map([['local', incusLocal]]);
}

/**
 * The remotes of `family` when there is no `config.yml`: `local`, the default
 * remote, plus the image servers the client ships with.
 */
export function defaultRemotes(family: Family): ReadonlyMap<string, BuiltinRemote> {
  return family === 'lxd' ? lxdBuiltins : incusDefaults;
}

const imageServer = (addr: string): BuiltinRemote => ({
  addr,
  protocol: 'simplestreams',
  public: true,
});

// `lxc` pins all of these: whatever config.yml says of them, these win.
const lxdBuiltins: ReadonlyMap<string, BuiltinRemote> = new Map([
  ['local', { addr: 'unix://', protocol: 'lxd', public: false }],
  ['images', imageServer('https://images.lxd.canonical.com')],
  ['ubuntu', imageServer('https://cloud-images.ubuntu.com/releases/')],
  ['ubuntu-daily', imageServer('https://cloud-images.ubuntu.com/daily/')],
  ['ubuntu-minimal', imageServer('https://cloud-images.ubuntu.com/minimal/releases/')],
  ['ubuntu-minimal-daily', imageServer('https://cloud-images.ubuntu.com/minimal/daily/')],
]);

const incusLocal: BuiltinRemote = { addr: 'unix://', protocol: 'incus', public: false };

const incusDefaults: ReadonlyMap<string, BuiltinRemote> = new Map([
  ['local', incusLocal],
  ['images', imageServer('https://images.linuxcontainers.org')],
]);
