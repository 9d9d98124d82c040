import { channel } from 'node:diagnostics_channel';
import { debuglog } from 'node:util';

import type { Endpoint } from '../transport/endpoint.js';
import {
  CertificateError,
  ConnectionError,
  TimeoutError,
  TransportError,
} from '../transport/errors.js';
import type {
  ChainOptions,
  Connection,
  HttpRequest,
  HttpResponse,
  RemoteTransport,
  Transport,
  TransportStats,
} from '../transport/transport.js';
import type { RemoteConnection } from './remote-registry.js';

const debug = debuglog('lxdapi:cluster');

/** What a route did that a person may want to know: it fell back, or followed a move. */
export interface RouteEvent {
  readonly kind: 'fallback' | 'moved';
  readonly remote: string;
  readonly instance: string;
  /** The member concerned: the one unreachable, or the one the instance moved to. */
  readonly member: string;
  readonly message: string;
}

/** The diagnostics channel that carries every RouteEvent, for `--debug` and others. */
export const routeChannelName = 'lxdapi:cluster:route';

const routeEvents = channel(routeChannelName);

/**
 * The way to one instance of a clustered remote: its requests go straight to the
 * member that hosts it, over that member's transport (shared by every host on the
 * member), which saves the forwarding hop the server would otherwise add to every
 * request. A member that cannot be reached is passed over for a while and its
 * requests go to the remote's own address, which forwards them; the instance's
 * location is read again then, and whenever an answer names another member.
 */
export class InstanceRoute implements Transport {
  readonly #connection: RemoteConnection;
  readonly #members: ReadonlyMap<string, string>;
  readonly #instance: string;
  readonly #project: string;
  #member: string | undefined;
  #refreshing: Promise<void> | undefined;

  constructor(
    connection: RemoteConnection,
    members: ReadonlyMap<string, string>,
    instance: string,
    project: string,
    location: string | undefined,
  ) {
    this.#connection = connection;
    this.#members = members;
    this.#instance = instance;
    this.#project = project;
    this.#member = location === '' ? undefined : location;
  }

  /** The remote's endpoint: errors name the remote, whichever member answered. */
  get endpoint(): Endpoint {
    return this.#connection.transport.endpoint;
  }

  /** The counts of the remote's transports together, members' included. */
  get stats(): TransportStats {
    return this.#connection.stats;
  }

  /** The member that hosts the instance, as last learned. */
  get member(): string | undefined {
    return this.#member;
  }

  /** The URL of the instance's member, when the cluster listed it. */
  get memberUrl(): string | undefined {
    return this.#member === undefined ? undefined : this.#members.get(this.#member);
  }

  /** Whether the instance's requests go straight to its member now. */
  get direct(): boolean {
    return this.#target() !== undefined;
  }

  /** Sends a request to the member, or to the remote's address if it cannot be reached. */
  async request(request: HttpRequest): Promise<HttpResponse> {
    const target = this.#target();
    if (target === undefined || target.transport === this.#connection.transport) {
      return this.#connection.transport.request(request);
    }
    try {
      return await target.transport.request(request);
    } catch (error) {
      const why = fallbackReason(error);
      if (why === undefined) throw error;
      this.#fallBack(target.member, target.transport, error, why);
      return this.#connection.transport.request(request);
    }
  }

  /**
   * Runs a chain on one socket of the member's transport, or of the remote's own if
   * the member cannot be reached. The chain runs again elsewhere only when none of
   * its requests may have been written: an exec POST is never sent twice.
   */
  async withConnection<T>(
    chain: (connection: Connection) => Promise<T>,
    options?: ChainOptions,
  ): Promise<T> {
    const target = this.#target();
    if (target === undefined || target.transport === this.#connection.transport) {
      return this.#connection.transport.withConnection(chain, options);
    }
    let run = { doubtful: 0 };
    try {
      return await target.transport.withConnection((connection) => {
        const mine = { doubtful: 0 };
        run = mine;
        return chain({
          send: (request) => {
            mine.doubtful += 1;
            return connection.send(request).catch((error: unknown) => {
              if (error instanceof TransportError && error.sent === 'no') {
                mine.doubtful -= 1;
              }
              throw error;
            });
          },
        });
      }, options);
    } catch (error) {
      const why = fallbackReason(error);
      if (why === undefined || run.doubtful > 0) throw error;
      this.#fallBack(target.member, target.transport, error, why);
      return this.#connection.transport.withConnection(chain, options);
    }
  }

  /** The typed error for a body that broke off, as the remote's transport words it. */
  bodyFailure(error: unknown, request: string): Error {
    return this.#connection.transport.bodyFailure(error, request);
  }

  /**
   * Takes note of the member an answer says the instance is on (an operation's
   * `location`): when it is another, the instance moved, and its next requests go
   * to its new member.
   */
  observe(location: string | undefined): void {
    if (location === undefined || location === '' || location === this.#member) return;
    if (!this.#members.has(location)) return;
    const from = this.#member ?? 'an unknown member';
    this.#member = location;
    this.#say('moved', location, `moved from ${from} to ${location}; requests follow it`);
  }

  /** Reads the instance's location again, through the remote's address. */
  async refresh(): Promise<void> {
    this.#refreshing ??= (async () => {
      try {
        const instance = await this.#connection.api.instance(
          this.#instance,
          this.#project,
        );
        this.observe(instance.location);
      } catch (error) {
        debug('reading where %s is failed: %s', this.#instance, String(error));
      } finally {
        this.#refreshing = undefined;
      }
    })();
    return this.#refreshing;
  }

  #target(): { member: string; transport: RemoteTransport } | undefined {
    const member = this.#member;
    if (this.#connection.routing !== 'direct' || member === undefined) return undefined;
    const url = this.#members.get(member);
    if (url === undefined || this.#connection.isDown(member)) return undefined;
    const transport = this.#connection.memberTransport(member, url);
    return transport === undefined ? undefined : { member, transport };
  }

  #fallBack(
    member: string,
    transport: RemoteTransport,
    error: unknown,
    why: 'unreachable' | 'certificate',
  ): void {
    // A certificate refused once will be refused again: that member is never tried
    // again on this connection. One that could not be reached may come back.
    const delay = this.#connection.markDown(
      member,
      why === 'certificate' ? Number.POSITIVE_INFINITY : undefined,
    );
    const reason = error instanceof Error ? error.message : String(error);
    const where = transport.endpoint.kind === 'https' ? transport.endpoint.origin : '';
    const how = why === 'certificate' ? 'is not trusted' : 'cannot be reached';
    const until = Number.isFinite(delay) ? `for ${delay} ms` : 'from now on';
    this.#say(
      'fallback',
      member,
      `member ${member} at ${where} ${how} (${reason}); requests for its instances ` +
        `go to the remote's address, which forwards them, ${until}`,
    );
    // The instance may have been moved off the member that went away.
    void this.refresh();
  }

  #say(kind: RouteEvent['kind'], member: string, text: string): void {
    const remote = this.#connection.remote.name;
    const message = `${remote}:${this.#instance}: ${text}`;
    debug('%s', message);
    if (routeEvents.hasSubscribers) {
      routeEvents.publish({
        kind,
        remote,
        instance: this.#instance,
        member,
        message,
      } satisfies RouteEvent);
    }
  }
}

// A failure that proves the request never left: the member's connection could not
// be made, or the member's certificate was refused before a byte was written (a
// remote trusted through CAs whose members' addresses are not in their
// certificates' names). Whatever the request, sending it elsewhere is safe.
function fallbackReason(error: unknown): 'unreachable' | 'certificate' | undefined {
  for (let each = error; each instanceof Error; each = each.cause) {
    if (!(each instanceof TransportError)) continue;
    if (each.sent !== 'no') return undefined;
    if (each instanceof CertificateError) return 'certificate';
    if (each instanceof ConnectionError) return 'unreachable';
    return each instanceof TimeoutError && each.stage === 'connect'
      ? 'unreachable'
      : undefined;
  }
  return undefined;
}
