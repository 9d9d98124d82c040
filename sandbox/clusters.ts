// The two-member clusters the sandbox runs beside the single servers: one of LXD,
// one of Incus, each member a plain daemon with a state folder and a loopback
// address of its own, so that neither disturbs the single-server daemons.
import { join } from 'node:path';

import { incus, lxd, type ServerKind } from './servers.js';

/** Where the members keep their state: apart from the single servers' folders. */
export const clusterBase = '/var/lib/lxd-api-sandbox-cluster';

/** One member of a sandbox cluster. */
export interface ClusterMember {
  readonly name: string;
  /** host:port on loopback, both the API and the cluster address. */
  readonly address: string;
  /** Its LXD_DIR or INCUS_DIR. */
  readonly dir: string;
  /** The busybox container that lives on this member. */
  readonly container: string;
}

/** One kind's cluster: its members, first the one that founded it. */
export interface ClusterKind {
  readonly kind: ServerKind;
  /** The variable that points the daemon and the client at a member's folder. */
  readonly dirVariable: 'LXD_DIR' | 'INCUS_DIR';
  /** `init --preseed` of this kind, reading YAML on standard input. */
  readonly init: readonly string[];
  readonly members: readonly [ClusterMember, ClusterMember];
  /** The remote, in the kind's sandbox client configuration, that names the cluster. */
  readonly remote: string;
  /** The project the containers live in: the cluster is the sandbox's alone. */
  readonly project: 'default';
  /** The storage pool every member has, with a folder of its own as the source. */
  readonly pool: string;
}

function members(prefix: string, net: string): [ClusterMember, ClusterMember] {
  const member = (index: 1 | 2): ClusterMember => ({
    name: `${prefix}-${index}`,
    address: `127.0.0.${net}${index}:8443`,
    dir: join(clusterBase, `${prefix}-${index}`),
    container: `cl-${index}`,
  });
  return [member(1), member(2)];
}

export const lxdCluster: ClusterKind = {
  kind: lxd,
  dirVariable: 'LXD_DIR',
  init: ['lxd', 'init', '--preseed'],
  members: members('lxd', '1'),
  remote: 'lxd-cluster',
  project: 'default',
  pool: 'default',
};

export const incusCluster: ClusterKind = {
  kind: incus,
  dirVariable: 'INCUS_DIR',
  init: ['incus', 'admin', 'init', '--preseed'],
  members: members('incus', '2'),
  remote: 'incus-cluster',
  project: 'default',
  pool: 'default',
};

/** The cluster of each server kind, in the order of `servers`. */
export function clusterOf(kind: ServerKind): ClusterKind {
  return kind.name === 'lxd' ? lxdCluster : incusCluster;
}

/** The daemon command line of a member: the kind's own, logging into its folder. */
export function memberDaemon(cluster: ClusterKind, member: ClusterMember) {
  const [binary = '', ...rest] = cluster.kind.daemon;
  const args = rest.filter((_arg, index) => {
    const previous = rest[index - 1];
    return _arg !== '--logfile' && previous !== '--logfile';
  });
  // Beside the state folder, not in it: the daemon owns what is inside.
  const logFile = join(clusterBase, `${member.name}.log`);
  return {
    command: [binary, ...args, '--logfile', logFile],
    logFile,
    outFile: join(clusterBase, `${member.name}.out`),
    pidFile: join(clusterBase, `${member.name}.pid`),
    socket: join(member.dir, 'unix.socket'),
    env: { ...cluster.kind.daemonEnv, [cluster.dirVariable]: member.dir },
  };
}
