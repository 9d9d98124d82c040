import { LxdApi, type Instance, type Probe } from '../api/api-client.js';
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
import { endpointFor } from '../transport/endpoint.js';
import { RemoteTransport, type TransportOptions } from '../transport/transport.js';

/**
 * The remotes this process is connected to: one transport and one set of server
 * facts per remote, shared by every host on it, closed when its last host is gone.
 */
export class RemoteRegistry {
  readonly #remotes = new Map<string, RemoteConnection>();
  readonly #options: TransportOptions;

  constructor(options: TransportOptions = {}) {
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

/** One remote's shared transport and what has been learned of its server. */
export class RemoteConnection {
  readonly remote: ResolvedRemote;
  readonly transport: RemoteTransport;
  readonly api: LxdApi;
  references = 0;

  #facts: Promise<ServerFacts> | undefined;
  readonly #forget: () => void;

  constructor(remote: ResolvedRemote, options: TransportOptions, forget: () => void) {
    this.remote = remote;
    this.transport = new RemoteTransport(endpointFor(remote), options);
    this.api = new LxdApi(this.transport, { project: remote.project });
    this.#forget = forget;
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
    await this.transport.close();
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

function remoteKey(remote: ResolvedRemote): string {
  return JSON.stringify([remote.family, remote.configFile, remote.name]);
}
