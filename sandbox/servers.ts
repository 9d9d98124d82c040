// The two real servers the sandbox runs side by side, described as data so that
// every step below is written once for both.

/** What the sandbox needs to know to install, start and drive one kind of server. */
export interface ServerKind {
  /** Short name, used in labels, remote names and file names. */
  readonly name: 'lxd' | 'incus';
  readonly title: string;
  /** Debian packages, and the release to take them from when not the default one. */
  readonly packages: readonly string[];
  readonly release?: string;
  /** The daemon's command line when started by the sandbox. */
  readonly daemon: readonly string[];
  /** Extra environment for the daemon. */
  readonly daemonEnv: Readonly<Record<string, string>>;
  readonly logFile: string;
  /** The command-line client, and the variable that points it at a config folder. */
  readonly client: 'lxc' | 'incus';
  readonly confVariable: 'LXD_CONF' | 'INCUS_CONF';
  /** The command that waits until the daemon answers on its socket. */
  readonly waitReady: readonly string[];
  readonly socket: string;
  /** The HTTPS address the sandbox gives the server when it has none. */
  readonly httpsAddress: string;
}

// The daemons look up an image server on the internet at start. A dead proxy keeps
// that lookup off the network; loopback traffic is never proxied.
const offline = { HTTPS_PROXY: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9' };

export const lxd: ServerKind = {
  name: 'lxd',
  title: 'LXD',
  packages: ['lxd', 'lxd-client'],
  daemon: ['lxd', '--group', 'root', '--logfile', '/var/log/lxd/lxd.log'],
  daemonEnv: offline,
  logFile: '/var/log/lxd/lxd.log',
  client: 'lxc',
  confVariable: 'LXD_CONF',
  waitReady: ['lxd', 'waitready', '--timeout', '60'],
  socket: '/var/lib/lxd/unix.socket',
  httpsAddress: '127.0.0.1:8443',
};

export const incus: ServerKind = {
  name: 'incus',
  title: 'Incus',
  packages: ['incus-base', 'incus-client'],
  release: 'bookworm-backports',
  daemon: [
    '/usr/libexec/incus/incusd',
    '--group',
    'root',
    '--logfile',
    '/var/log/incus/incusd.log',
  ],
  // The packaged service puts the daemon's helpers on its PATH.
  daemonEnv: {
    ...offline,
    PATH: '/usr/libexec/incus:/usr/sbin:/usr/bin:/sbin:/bin',
  },
  logFile: '/var/log/incus/incusd.log',
  client: 'incus',
  confVariable: 'INCUS_CONF',
  waitReady: ['incus', 'admin', 'waitready', '--timeout', '60'],
  socket: '/var/lib/incus/unix.socket',
  httpsAddress: '127.0.0.1:8444',
};

export const servers: readonly ServerKind[] = [lxd, incus];
