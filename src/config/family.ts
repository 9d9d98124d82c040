/** The two server families this library drives; they share an API but not a config. */
export type Family = 'lxd' | 'incus';

/** What differs between the `lxc` and `incus` clients, for the config layer. */
export interface FamilyFacts {
  /** The product, as messages name it. */
  readonly product: string;
  /** The command-line client a user runs to fix their configuration. */
  readonly client: string;
  /** Overrides the user's config folder. */
  readonly confEnv: string;
  /** Overrides the system-wide config folder. */
  readonly globalConfEnv: string;
  /** Overrides `default-remote`. */
  readonly remoteEnv: string;
  /** The `protocol` of an instance server; also what an empty `protocol` means. */
  readonly instanceProtocol: string;
  /** Protocols of remotes that serve images only. */
  readonly imageProtocols: readonly string[];
}

/** The facts of each family, keyed by family. */
export const familyFacts: Readonly<Record<Family, FamilyFacts>> = {
  lxd: {
    product: 'LXD',
    client: 'lxc',
    confEnv: 'LXD_CONF',
    globalConfEnv: 'LXD_GLOBAL_CONF',
    remoteEnv: 'LXC_REMOTE',
    instanceProtocol: 'lxd',
    imageProtocols: ['simplestreams'],
  },
  incus: {
    product: 'Incus',
    client: 'incus',
    confEnv: 'INCUS_CONF',
    globalConfEnv: 'INCUS_GLOBAL_CONF',
    remoteEnv: 'INCUS_REMOTE',
    instanceProtocol: 'incus',
    imageProtocols: ['simplestreams', 'oci'],
  },
};
