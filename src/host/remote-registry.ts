import {
  LxdApi,
  type ClusterMember,
  type Instance,
  type Probe,
} from '../api/api-client.js';
import {
  AuthenticationError,
  NotFoundError,
  UnsupportedServerError,
} from '../api/errors.js';
import {
  requiredExtensions,
  serverFacts,
  type ServerFacts,
  type ServerInfo,
} from '../api/server-facts.js';
import { familyFacts } from '../config/family.js';
import type { ResolvedRemote } from '../config/resolve.js';
import { endpointFor, type HttpsEndpoint } from '../transport/endpoint.js';
import {
  RemoteTransport,
  type TransportOptions,
  type TransportStats,
} from '../transport/transport.js';
import { InstanceRoute } from './instance-route.js';

/** Settings of a registry: its transports', and how clustered remotes are reached. */
export interface RegistryOptions extends TransportOptions {
  /**
   * `direct` (the default): an instance of a clustered remote is reached at the
   * member that hosts it. `forwarded`: at the remote's own address, whose server
   * forwards each request to the member (about 15 ms more per request).
   */
  readonly routing?: 'direct' | 'forwarded';
  /**
   * Milliseconds during which a member that could not be reached is passed over
   * (its instances reached through the remote's address) before it is tried again.
   * Default 10 s.
   */
  readonly memberRetryDelay?: number;
  /**
   * Where to reach a member instead of the URL the cluster gives for it, when that
   * one is not reachable as is from here (a tunnel, a NAT, a proxy in between);
   * undefined keeps the cluster's URL.
   */
  readonly memberAddress?: (member: string, url: string) => string | undefined;
}

/**
 * The remotes this process is connected to: one transport and one set of server
 * facts per remote, shared by every host on it, closed when its last host is gone.
 */
export class RemoteRegistry {
  readonly #remotes = new Map<string, RemoteConnection>();
  readonly #options: RegistryOptions;

  constructor(options: RegistryOptions = {}) {
    this.#options = options;
  }

  /** Takes a reference on the remote's connection; give it back with `release`. */
  acquire(remote: ResolvedRemote): RemoteConnection {
    const key = remoteKey(remote);
    let connection = this.#remotes.get(key);
    if (connection === undefined) {
      connection = new RemoteConnection(remote, this.#options, () => {
        this.#remotes.delete(key);
      });
      this.#remotes.set(key, connection);
    }
    connection.references += 1;
    return connection;
  }

  /** The connections open now, for tests and diagnostics. */
  get size(): number {
    return this.#remotes.size;
  }

  /** Closes every remote's transport. */
  async close(): Promise<void> {
    await Promise.all([...this.#remotes.values()].map((each) => each.close()));
  }
}

/** The registry that hosts share when the caller gives none. */
export const sharedRemotes = new RemoteRegistry();

/**
 * One remote's shared transport and what has been learned of its server; for a
 * cluster, also its members and one transport per member, shared by every host
 * whose instance lives there.
 */
export class RemoteConnection {
  readonly remote: ResolvedRemote;
  readonly transport: RemoteTransport;
  readonly api: LxdApi;
  /** How instances of a clustered remote are reached. */
  readonly routing: 'direct' | 'forwarded';
  references = 0;

  #facts: Promise<ServerFacts> | undefined;
  /** Member name to its URL, once known; empty for a server that is not clustered. */
  #members: Promise<ReadonlyMap<string, string>> | undefined;
  readonly #memberTransports = new Map<string, RemoteTransport>();
  /** Members passed over until the time given, since they could not be reached. */
  readonly #downUntil = new Map<string, number>();
  readonly #options: RegistryOptions;
  readonly #forget: () => void;

  constructor(remote: ResolvedRemote, options: RegistryOptions, forget: () => void) {
    this.remote = remote;
    this.transport = new RemoteTransport(endpointFor(remote), options);
    this.api = new LxdApi(this.transport, { project: remote.project });
    this.routing = options.routing ?? 'direct';
    this.#options = options;
    this.#forget = forget;
  }

  /**
   * The cluster's members by name, with their URLs: learned in the cold probe, or
   * asked for here (one request) when the facts came without them.
   */
  async clusterMembers(): Promise<ReadonlyMap<string, string>> {
    const facts = await this.serverFacts();
    if (!facts.clustered) return new Map();
    this.#members ??= this.api.clusterMembers().then(memberUrls);
    this.#members.catch(() => {
      this.#members = undefined;
    });
    return this.#members;
  }

  /**
   * The transport of a member, made on first use with the remote's own certificates:
   * every member presents the cluster's certificate, so the pin holds, whatever the
   * member's address (pinning goes by fingerprint, never by name). The remote's own
   * transport when the member is at the remote's address. Undefined for a member
   * whose URL is unknown or not HTTPS.
   */
  memberTransport(member: string, url: string): RemoteTransport | undefined {
    const endpoint = this.transport.endpoint;
    if (endpoint.kind !== 'https') return undefined;
    let parsed: URL;
    try {
      parsed = new URL(this.#options.memberAddress?.(member, url) ?? url);
    } catch {
      return undefined;
    }
    if (parsed.protocol !== 'https:') return undefined;
    if (parsed.origin === new URL(endpoint.origin).origin) return this.transport;
    let transport = this.#memberTransports.get(parsed.origin);
    if (transport === undefined) {
      const memberEndpoint: HttpsEndpoint = {
        ...endpoint,
        origin: parsed.origin,
        host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: parsed.port === '' ? 443 : Number(parsed.port),
      };
      // No retry of a connection that cannot be made: the remote's address is
      // where such a request goes instead, at once.
      transport = new RemoteTransport(memberEndpoint, {
        ...this.#options,
        connectRetries: 0,
      });
      this.#memberTransports.set(parsed.origin, transport);
    }
    return transport;
  }

  /** The route of an instance's requests: to its member, or the remote's address. */
  async routeFor(instance: Instance, project: string): Promise<InstanceRoute> {
    const members = await this.clusterMembers();
    return new InstanceRoute(this, members, instance.name, project, instance.location);
  }

  /**
   * Passes a member over for a while (`memberRetryDelay`, or `delay`): it could not
   * be reached. Returns the milliseconds.
   */
  markDown(member: string, delay = this.#options.memberRetryDelay ?? 10_000): number {
    this.#downUntil.set(member, Date.now() + delay);
    return delay;
  }

  /** Whether a member is being passed over now. */
  isDown(member: string): boolean {
    const until = this.#downUntil.get(member);
    if (until === undefined) return false;
    if (Date.now() < until) return true;
    this.#downUntil.delete(member);
    return false;
  }

  /** The counts of all this remote's transports together: its own and its members'. */
  get stats(): TransportStats {
    const all = [this.transport, ...this.#memberTransports.values()];
    const sum = (key: keyof TransportStats) =>
      all.reduce((total, each) => total + each.stats[key], 0);
    return {
      connects: sum('connects'),
      handshakes: sum('handshakes'),
      requests: sum('requests'),
      retries: sum('retries'),
    };
  }

  /** The transports of the members used so far, by origin: for tests and `check`. */
  get memberTransports(): ReadonlyMap<string, RemoteTransport> {
    return this.#memberTransports;
  }

  /**
   * Learns the server's facts and reads the instance. Cold, both requests go out
   * pipelined on one socket; once the facts are known, only the instance is read.
   */
  async lookup(
    name: string,
    project: string,
  ): Promise<{ facts: ServerFacts; instance: Instance }> {
    const [facts, instance] = await this.#withFacts(
      () => this.api.probe(name, project),
      () => this.api.instance(name, project),
    ).catch((error: unknown) => {
      throw this.#explain(error, name, project);
    });
    return { facts, instance };
  }

  /** Learns the server's facts and lists a project's instances, likewise pipelined. */
  async list(project: string): Promise<{ facts: ServerFacts; instances: Instance[] }> {
    const [facts, instances] = await this.#withFacts(
      () => this.api.probeList(project),
      () => this.api.instances(project),
    );
    return { facts, instances };
  }

  /** The server's facts: one `GET /1.0` per remote, shared by all who ask. */
  async serverFacts(): Promise<ServerFacts> {
    this.#facts ??= this.#learn(this.api.serverInfo());
    return this.#facts;
  }

  // Sends `probe` (GET /1.0 with a second request) while the facts are unknown,
  // and only the second request once they are known or being learned.
  async #withFacts<T>(
    probe: () => Promise<Probe<T>>,
    alone: () => Promise<T>,
  ): Promise<[ServerFacts, T]> {
    if (this.#facts !== undefined) {
      const facts = await this.#facts;
      return [facts, await alone()];
    }
    const probed = probe();
    this.#facts = this.#learn(probed.then(({ info }) => info));
    const facts = await this.#facts;
    const { members } = await probed;
    if (facts.clustered && members.status === 'fulfilled') {
      this.#members ??= Promise.resolve(memberUrls(members.value));
    }
    const { second } = await probed;
    if (second.status === 'rejected') throw second.reason;
    return [facts, second.value];
  }

  #learn(info: Promise<ServerInfo>): Promise<ServerFacts> {
    const facts = info.then((answer) => this.#check(answer));
    // A failed probe teaches nothing: the next host probes again.
    facts.catch(() => {
      if (this.#facts === facts) this.#facts = undefined;
    });
    return facts;
  }

  /** Drops one reference; the last one closes the transport. */
  async release(): Promise<void> {
    this.references -= 1;
    if (this.references === 0) await this.close();
  }

  async close(): Promise<void> {
    this.#forget();
    const members = [...this.#memberTransports.values()];
    this.#memberTransports.clear();
    await Promise.all([this.transport, ...members].map((each) => each.close()));
  }

  #check(info: ServerInfo): ServerFacts {
    const { client } = familyFacts[this.remote.family];
    const name = this.remote.name;
    if (info.auth !== 'trusted') {
      const certificate = this.remote.credentials?.certificate;
      const which =
        certificate === undefined
          ? ''
          : ` (${certificate.file}, fingerprint ${certificate.fingerprint})`;
      throw new AuthenticationError(
        `Remote \`${name}\` does not trust this client's certificate${which}. On the ` +
          `server, run \`${client} config trust add\` and add the remote again with the ` +
          `token it prints: \`${client} remote add ${name} <token>\`.`,
        { remote: name },
      );
    }
    const facts = serverFacts(info);
    for (const [extension, purpose] of Object.entries(requiredExtensions)) {
      if (!facts.extensions.has(extension)) {
        throw new UnsupportedServerError(
          `Remote \`${name}\` runs ${facts.kind} ${facts.version}, which lacks the API ` +
            `extension ${extension} (${purpose}); upgrade the server.`,
          { remote: name, missing: extension },
        );
      }
    }
    return facts;
  }

  #explain(error: unknown, name: string, project: string): unknown {
    if (!(error instanceof NotFoundError)) return error;
    const { client } = familyFacts[this.remote.family];
    return new NotFoundError(
      `Instance \`${name}\` does not exist on remote \`${this.remote.name}\` in project ` +
        `\`${project}\`; see \`${client} list ${this.remote.name}: --project ${project}\`.`,
      error,
    );
  }
}

function memberUrls(members: readonly ClusterMember[]): ReadonlyMap<string, string> {
  return new Map(members.map((member) => [member.server_name, member.url]));
}

function remoteKey(remote: ResolvedRemote): string {
  return JSON.stringify([remote.family, remote.configFile, remote.name]);
}
