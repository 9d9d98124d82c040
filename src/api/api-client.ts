import type {
  Connection,
  HttpRequest,
  HttpResponse,
  Transport,
} from '../transport/transport.js';
import { ConnectionError } from '../transport/errors.js';
import { ApiError, NotFoundError } from './errors.js';
import type { ServerInfo } from './server-facts.js';

/** The parts of an instance this library reads. */
export interface Instance {
  readonly name: string;
  readonly status: string;
  readonly status_code: number;
  /** `container` or `virtual-machine`. */
  readonly type: string;
  readonly location: string;
  readonly project?: string;
  readonly config: Readonly<Record<string, string>>;
  readonly profiles: readonly string[];
}

/** A member of a cluster, from `GET /1.0/cluster/members?recursion=1`. */
export interface ClusterMember {
  readonly server_name: string;
  /** `https://host:port`: where the member answers the API itself. */
  readonly url: string;
  readonly status: string;
}

/** The answer of a pipelined probe: each part may have failed on its own. */
export interface Probe<T> {
  readonly info: ServerInfo;
  /** The answer to the request that went out with `GET /1.0`. */
  readonly second: PromiseSettledResult<T>;
  /**
   * The cluster's members, asked for in the same batch before it is known whether
   * the server is clustered; a server that is not refuses, and that is ignored.
   */
  readonly members: PromiseSettledResult<ClusterMember[]>;
}

/** The envelope every JSON answer of the REST API comes in. */
interface Envelope<T> {
  readonly type: 'sync' | 'async' | 'error';
  readonly status_code?: number;
  readonly error_code?: number;
  readonly error?: string;
  readonly operation?: string;
  readonly metadata: T;
}

/**
 * Typed calls of the LXD / Incus REST API over one remote's transport. Every path
 * it builds names the project, since the server's own URLs leave it out.
 */
export class LxdApi {
  readonly transport: Transport;
  readonly project: string;

  constructor(transport: Transport, options: { project: string }) {
    this.transport = transport;
    this.project = options.project;
  }

  get remote(): string {
    return this.transport.endpoint.remote;
  }

  /**
   * A path with its query (added to any query it has already), the project added
   * unless it is `default`.
   */
  path(
    path: string,
    query: Readonly<Record<string, string | undefined>> = {},
    project: string = this.project,
  ): string {
    const [bare = '', existing = ''] = path.split('?', 2);
    const params = new URLSearchParams(existing);
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) params.set(key, value);
    }
    if (project !== 'default') params.set('project', project);
    const search = params.toString();
    return search === '' ? bare : `${bare}?${search}`;
  }

  /** `GET /1.0`: what the server is and whether it trusts us. */
  async serverInfo(): Promise<ServerInfo> {
    const request = get('/1.0');
    return this.decode<ServerInfo>(request, await this.transport.request(request));
  }

  /** `GET /1.0/cluster/members?recursion=1`: each member's name and address. */
  async clusterMembers(): Promise<ClusterMember[]> {
    const request = get(membersPath);
    return this.decode<ClusterMember[]>(request, await this.transport.request(request));
  }

  /** `GET /1.0/instances/<name>`. */
  async instance(name: string, project?: string): Promise<Instance> {
    const request = get(this.path(instancePath(name), {}, project));
    return this.decode<Instance>(request, await this.transport.request(request));
  }

  /** `GET /1.0/instances?recursion=1`: every instance of the project, in one request. */
  async instances(project?: string): Promise<Instance[]> {
    const request = get(this.path('/1.0/instances', { recursion: '1' }, project));
    return this.decode<Instance[]>(request, await this.transport.request(request));
  }

  /**
   * `GET /1.0`, `GET /1.0/instances/<name>` and the cluster's members pipelined on
   * one socket: on a cold remote, TCP, TLS and the answers take three round trips.
   */
  async probe(name: string, project?: string): Promise<Probe<Instance>> {
    return this.probeWith<Instance>(this.path(instancePath(name), {}, project));
  }

  /** `GET /1.0` and `GET /1.0/instances?recursion=1` pipelined on one socket. */
  async probeList(project?: string): Promise<Probe<Instance[]>> {
    return this.probeWith<Instance[]>(
      this.path('/1.0/instances', { recursion: '1' }, project),
    );
  }

  async probeWith<T>(path: string): Promise<Probe<T>> {
    const first = get('/1.0');
    const second = get(path);
    const third = get(membersPath);
    return this.transport.withConnection(
      async (connection) => {
        const [info, instance, members] = await Promise.allSettled([
          this.#fetch<ServerInfo>(connection, first),
          this.#fetch<T>(connection, second),
          this.#fetch<ClusterMember[]>(connection, third),
        ]);
        if (info.status === 'rejected') throw info.reason;
        return { info: info.value, second: instance, members };
      },
      { idempotent: true },
    );
  }

  async #fetch<T>(connection: Connection, request: HttpRequest): Promise<T> {
    return this.decode<T>(request, await connection.send(request));
  }

  /** Reads a JSON answer, throwing the server's error as a typed one. */
  async decode<T>(request: HttpRequest, response: HttpResponse): Promise<T> {
    const what = `${request.method} ${request.path}`;
    let body: Envelope<T>;
    try {
      body = (await response.body.json()) as Envelope<T>;
    } catch (cause) {
      if (!(cause instanceof SyntaxError)) {
        throw new ConnectionError(
          `Reading the answer of remote \`${this.remote}\` to ${what} failed: ${String(cause)}`,
          { remote: this.remote, sent: 'yes', cause },
        );
      }
      throw new ApiError(
        `Remote \`${this.remote}\` answered ${what} with status ${response.statusCode} ` +
          'and a body that is not JSON.',
        {
          remote: this.remote,
          request: what,
          status: response.statusCode,
          serverMessage: cause.message,
        },
      );
    }
    if (response.statusCode < 400 && body.type !== 'error') return body.metadata;

    const status = body.error_code ?? response.statusCode;
    const serverMessage = body.error ?? '';
    const details = { remote: this.remote, request: what, status, serverMessage };
    const message = `Remote \`${this.remote}\` refused ${what}: ${status} ${serverMessage}`;
    throw status === 404
      ? new NotFoundError(message, details)
      : new ApiError(message, details);
  }
}

const membersPath = '/1.0/cluster/members?recursion=1';

function get(path: string): HttpRequest {
  return { method: 'GET', path };
}

function instancePath(name: string): string {
  return `/1.0/instances/${encodeURIComponent(name)}`;
}
