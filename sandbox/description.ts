// The shape of `.sandbox/sandbox.json`, which tests, the demo and the benchmarks
// read to find the sandbox's servers, remotes and instances.

/** One server of the sandbox, as the sandbox left it. */
export interface ServerDescription {
  readonly kind: 'lxd' | 'incus';
  readonly title: string;
  readonly client: 'lxc' | 'incus';
  readonly confVariable: 'LXD_CONF' | 'INCUS_CONF';
  /** The client config folder holding the sandbox's remotes for this server. */
  readonly confDir: string;
  readonly socket: string;
  /** host:port on loopback. */
  readonly httpsAddress: string;
  readonly remotes: {
    readonly https: string;
    readonly unix: string;
    readonly other: string;
  };
  readonly project: string;
  readonly otherProject: string;
  /** Busybox containers in `project`, all running. */
  readonly instances: readonly string[];
  /**
   * A Debian container in `project`, running, with sudo, GNU coreutils and tar; its
   * user `app` (uid 1000, as in the busybox containers) may sudo without a password.
   */
  readonly sudoInstance: string;
  readonly otherInstances: readonly string[];
}

/** The whole sandbox: one entry per server kind, and one cluster per kind. */
export interface SandboxDescription {
  readonly servers: Readonly<Record<string, ServerDescription>>;
  readonly clusters: Readonly<Record<string, ClusterDescription>>;
}

/** One member of a sandbox cluster. */
export interface ClusterMemberDescription {
  readonly name: string;
  /** `https://host:port` on loopback, as `GET /1.0/cluster/members` gives it. */
  readonly url: string;
  /** The member's LXD_DIR or INCUS_DIR; its unix socket is `unix.socket` in it. */
  readonly dir: string;
  readonly socket: string;
  /** The file holding the member daemon's process id, when the sandbox started it. */
  readonly pidFile: string;
  /** The busybox container, running, that lives on this member. */
  readonly container: string;
}

/** One of the sandbox's two-member clusters, as the sandbox left it. */
export interface ClusterDescription {
  readonly kind: 'lxd' | 'incus';
  readonly title: string;
  readonly client: 'lxc' | 'incus';
  readonly confVariable: 'LXD_CONF' | 'INCUS_CONF';
  /** The variable that points a client at one member's unix socket. */
  readonly dirVariable: 'LXD_DIR' | 'INCUS_DIR';
  /** The client config folder (that of the single server) holding `remote`. */
  readonly confDir: string;
  /** The config folder of the sandbox's own calls over the members' sockets. */
  readonly adminConf: string;
  /** An HTTPS remote at the first member, the cluster's certificate pinned. */
  readonly remote: string;
  readonly project: string;
  /** The image the containers were launched from, in `project`. */
  readonly image: string;
  /** The founding member first; stop the second before the first. */
  readonly members: readonly [ClusterMemberDescription, ClusterMemberDescription];
}
