import { join } from 'node:path';

import type { ServerKind } from './servers.js';

// Every object the sandbox creates on a server carries one of these names, so that
// it can find its own things again and never touches anybody else's.

export const poolName = 'lxd-api-sandbox';
export const projectName = 'lxd-api-sandbox';
export const otherProjectName = 'lxd-api-sandbox-other';
export const trustName = 'lxd-api-sandbox';
export const instanceNames = ['web-1', 'web-2', 'db-1'] as const;
/** Beside the busybox containers: one of Debian with sudo, GNU coreutils and tar. */
export const sudoInstanceName = 'deb-1';
export const otherInstanceNames = ['other-1'] as const;
/**
 * A project of busybox containers `bench-1` … `bench-N` for the benchmarks' fan-out,
 * made by `npm run bench` on first use: kept out of the tests' projects, whose
 * instance lists the tests check. `--down` removes it with the rest.
 */
export const benchProjectName = 'lxd-api-bench';

/** The sandbox's images, by the alias each has in the projects that hold it. */
export const imageAliases = {
  busybox: 'lxd-api-busybox',
  debian: 'lxd-api-debian',
} as const;

export type ImageName = keyof typeof imageAliases;

/** Marks, in the sandbox's project, an HTTPS address that the sandbox itself set. */
export const httpsMarkKey = 'user.lxd-api-sandbox.https-address';

/** The folders of one checkout's sandbox: all under `.sandbox/` of the project. */
export function sandboxPaths(root: string) {
  const base = join(root, '.sandbox');
  return {
    base,
    image: join(base, 'image'),
    debianImage: join(base, 'debian-image'),
    description: join(base, 'sandbox.json'),
    /** Client config folder for a server kind: the remotes the tests use. */
    clientConf: (kind: ServerKind) => join(base, kind.client),
    /** Config folder for the sandbox's own admin calls, over the unix socket. */
    adminConf: (kind: ServerKind) => join(base, 'admin', kind.client),
    /** Likewise for the clusters' members, whose sockets their state folders name. */
    clusterAdminConf: (kind: ServerKind) => join(base, 'admin', `${kind.client}-cluster`),
  };
}

export type SandboxPaths = ReturnType<typeof sandboxPaths>;

/** Remote names written into a kind's client configuration. */
export function remoteNames(kind: ServerKind) {
  return {
    https: kind.name,
    unix: `${kind.name}-unix`,
    other: `${kind.name}-other`,
  };
}
