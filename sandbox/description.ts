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

/** The whole sandbox: one entry per server kind. */
export interface SandboxDescription {
  readonly servers: Readonly<Record<string, ServerDescription>>;
}
