import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { debuglog } from 'node:util';

import { Client, errors as undiciErrors, type Dispatcher } from 'undici';

import { makeConnector, type ConnectorStats } from './connector.js';
import { describeEndpoint, type Endpoint } from './endpoint.js';
import {
  AbortError,
  ConnectionError,
  TimeoutError,
  TransportError,
  type RequestContext,
} from './errors.js';

const debug = debuglog('lxdapi:transport');

/** One HTTP request, as the layers above describe it. */
export interface HttpRequest {
  readonly method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path with its query, already encoded. */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer | Readable;
  /**
   * Whether sending it twice is harmless. Defaults to true for GET, HEAD, PUT and
   * DELETE. Note: undici pipelines a request behind others only when it is
   * idempotent, and resends it when the connection breaks after it was written.
   */
  readonly idempotent?: boolean;
  /**
   * Whether later requests on the socket wait for this one's headers before they
   * are written. Defaults to false: pipelining is the point of a chain.
   */
  readonly blocking?: boolean;
  /** Milliseconds to wait for the answer's headers; 0 waits forever. */
  readonly headersTimeout?: number;
  /** Milliseconds allowed between two chunks of the answer's body; 0 waits forever. */
  readonly bodyTimeout?: number;
  readonly signal?: AbortSignal;
}

/** An answer: status, headers and the body as a stream that must be consumed. */
export type HttpResponse = Dispatcher.ResponseData;

/** Settings of a remote's transport. */
export interface TransportOptions {
  /** Sockets open at most at once; more chains wait for one. Default 32. */
  readonly maxConnections?: number;
  /**
   * Idle milliseconds before a kept-alive socket is closed. Default 20 s: under the
   * 30 s after which Incus (and LXD 6.8+) close idle connections themselves, so
   * that we close first and never write into a socket the server is closing.
   */
  readonly keepAlive?: number;
  readonly connectTimeout?: number;
  /** Defaults for requests that set no timeout of their own. */
  readonly headersTimeout?: number;
  readonly bodyTimeout?: number;
  /** How many times a request that is safe to resend is retried. Default 3. */
  readonly retries?: number;
  /**
   * How many times a request is retried when its connection could not be made at
   * all. Default `retries`; 0 where the caller has somewhere else to send it.
   */
  readonly connectRetries?: number;
  /** Requests in flight on one socket at most. Default 16. */
  readonly pipelining?: number;
}

/** Counts kept by a transport, for tests and benchmarks. */
export interface TransportStats extends ConnectorStats {
  /** Requests handed to a socket, retries included. */
  requests: number;
  retries: number;
}

/** A socket leased to one chain of requests, which go out on it in order. */
export interface Connection {
  send(request: HttpRequest): Promise<HttpResponse>;
}

/** Options of a chain of requests on one leased socket. */
export interface ChainOptions {
  /** Whether the whole chain may be run again after it may have reached the server. */
  readonly idempotent?: boolean;
  /** False: requests already written fail with their socket, never written again. */
  readonly resend?: boolean;
  readonly signal?: AbortSignal;
}

/**
 * What the api layer sends through: one remote's transport, or something that picks
 * one of several for each request (a cluster member's, say) and keeps the same rules.
 */
export interface Transport {
  readonly endpoint: Endpoint;
  readonly stats: TransportStats;
  request(request: HttpRequest): Promise<HttpResponse>;
  withConnection<T>(
    chain: (connection: Connection) => Promise<T>,
    options?: ChainOptions,
  ): Promise<T>;
  /** The typed error for an answer's body that failed while it was being read. */
  bodyFailure(error: unknown, request: string): Error;
}

/**
 * The HTTP side of one remote: a small pool of HTTP/1.1 sockets, each leased to one
 * chain of requests at a time so that a chain can pipeline on its own socket, with
 * timeouts, cancellation, and retries where a resend is safe.
 */
export class RemoteTransport implements Transport {
  readonly endpoint: Endpoint;
  readonly stats: TransportStats = {
    connects: 0,
    handshakes: 0,
    requests: 0,
    retries: 0,
  };

  readonly #options: Required<TransportOptions>;
  readonly #all: Client[] = [];
  readonly #idle: Client[] = [];
  readonly #waiting: ((client: Client) => void)[] = [];
  #closed = false;
  /** Aborted by `close()`, which fails the chains still waiting for a socket. */
  readonly #closing = new AbortController();

  constructor(endpoint: Endpoint, options: TransportOptions = {}) {
    this.endpoint = endpoint;
    this.#options = {
      maxConnections: options.maxConnections ?? 32,
      keepAlive: options.keepAlive ?? 20_000,
      connectTimeout: options.connectTimeout ?? 10_000,
      headersTimeout: options.headersTimeout ?? 30_000,
      bodyTimeout: options.bodyTimeout ?? 60_000,
      retries: options.retries ?? 3,
      connectRetries: options.connectRetries ?? options.retries ?? 3,
      pipelining: options.pipelining ?? 16,
    };
  }

  /** Milliseconds allowed between two chunks of a body, for requests that set none. */
  get bodyTimeout(): number {
    return this.#options.bodyTimeout;
  }

  /**
   * The typed error for a failure while reading the body of an answer to
   * `request` (`METHOD /path`): undici's own errors surface from the body stream,
   * past the point where `request` could translate them.
   */
  bodyFailure(error: unknown, request: string, timeout = this.bodyTimeout): Error {
    if (error instanceof TransportError || !(error instanceof Error))
      return error as Error;
    const remote = this.endpoint.remote;
    if (error instanceof undiciErrors.BodyTimeoutError) {
      const message = `${request} to remote \`${remote}\`: the answer's body stalled for ${timeout} ms.`;
      const failure = new TimeoutError(message, {
        remote,
        sent: 'yes',
        stage: 'body',
        timeout,
        cause: error,
      });
      failure.request = request;
      return failure;
    }
    if (!(error instanceof undiciErrors.UndiciError)) return error;
    const failure = new ConnectionError(
      `${request} to remote \`${remote}\`: the answer broke off (${error.message}).`,
      { remote, sent: 'yes', cause: error },
    );
    failure.request = request;
    return failure;
  }

  /** Sends one request on a leased socket, retrying where that is safe. */
  async request(request: HttpRequest): Promise<HttpResponse> {
    const resendable = idempotent(request) && !isStream(request.body);
    const { method, path } = request;
    const context = { remote: this.endpoint.remote, method, path };
    const mayResend = (error: TransportError) => error.sent === 'no' || resendable;
    return this.#withRetries(mayResend, async () => {
      const client = await this.#lease(request.signal, context);
      let response: HttpResponse;
      try {
        response = await this.#send(client, request);
      } catch (error) {
        this.#release(client);
        throw error;
      }
      // The socket is ours until the body is read or thrown away. A body read with
      // json() or text() closes only after a setImmediate, once the caller has
      // resumed: a request it makes at once would find no idle socket and pay a
      // new TCP and TLS handshake. So the socket goes back at the body's end.
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        this.#release(client);
      };
      response.body.once('end', release);
      response.body.once('close', release);
      return response;
    });
  }

  /**
   * Leases one socket to `chain` for its whole run: the requests it sends go out on
   * that socket in order, pipelined. Bodies must be consumed before `chain` ends.
   * The chain is run again when it failed before anything was sent, or, with
   * `idempotent`, after a failure that a resend can mend.
   */
  async withConnection<T>(
    chain: (connection: Connection) => Promise<T>,
    options: ChainOptions = {},
  ): Promise<T> {
    // Requests of the latest run that may have reached the server: a failure that
    // was itself never sent says nothing of the requests sent before it.
    let run = { doubtful: 0 };
    const mayResend = (error: TransportError) =>
      (options.idempotent ?? false) || (error.sent === 'no' && run.doubtful === 0);
    return this.#withRetries(mayResend, async () => {
      const mine = { doubtful: 0 };
      run = mine;
      const client = await this.#lease(options.signal);
      const send = (request: HttpRequest) => {
        mine.doubtful += 1;
        return this.#send(client, request).catch((error: unknown) => {
          if (error instanceof TransportError && error.sent === 'no') mine.doubtful -= 1;
          throw error;
        });
      };
      // When a socket closes, undici fails the request at the head of the pipeline
      // and writes the ones behind it again on a new socket. A chain that must not
      // be resent destroys the client at that moment, which fails them instead.
      // A socket that undici closes itself, after an answer that ends the
      // connection (code UND_ERR_INFO), carried none of this chain's requests:
      // undici writes nothing to a socket it is about to close.
      const failRest = (
        _origin: unknown,
        _targets: unknown,
        error?: { code?: string },
      ) => {
        if (error?.code === 'UND_ERR_INFO') return;
        void client.destroy();
      };
      if (options.resend === false) client.on('disconnect', failRest);
      try {
        return await chain({ send });
      } finally {
        client.off('disconnect', failRest);
        this.#release(client);
      }
    });
  }

  /** Closes every socket; requests in flight finish first. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#closing.abort();
    await Promise.all(this.#all.map((client) => client.close()));
    this.#all.length = 0;
    this.#idle.length = 0;
  }

  async #withRetries<T>(
    mayResend: (error: TransportError) => boolean,
    attempt: () => Promise<T>,
  ): Promise<T> {
    for (let tries = 0; ; tries += 1) {
      try {
        return await attempt();
      } catch (error) {
        const limit =
          error instanceof TransportError && error.sent === 'no'
            ? this.#options.connectRetries
            : this.#options.retries;
        const again =
          tries < limit &&
          !this.#closed &&
          error instanceof TransportError &&
          retryable(error);
        if (!again || !mayResend(error)) throw error;
        this.stats.retries += 1;
        const delay = Math.min(1000, 50 * 2 ** tries) * (1 + Math.random() / 2);
        debug('retry %d after %s in %d ms', tries + 1, error.code, Math.round(delay));
        await sleep(delay);
      }
    }
  }

  async #send(client: Client, request: HttpRequest): Promise<HttpResponse> {
    const context: RequestContext = {
      remote: this.endpoint.remote,
      method: request.method,
      path: request.path,
    };
    const started = performance.now();
    this.stats.requests += 1;
    try {
      const response = await client.request({
        method: request.method,
        path: request.path,
        headers: request.headers ?? {},
        body: request.body ?? null,
        idempotent: idempotent(request),
        blocking: request.blocking ?? false,
        headersTimeout: request.headersTimeout ?? this.#options.headersTimeout,
        bodyTimeout: request.bodyTimeout ?? this.#options.bodyTimeout,
        ...(request.signal === undefined ? {} : { signal: request.signal }),
      });
      debug(
        '%s %s %d in %d ms',
        request.method,
        request.path,
        response.statusCode,
        Math.round(performance.now() - started),
      );
      if (isGatewayFailure(response.statusCode) && idempotent(request)) {
        response.body.resume();
        throw new ConnectionError(
          `Remote \`${context.remote}\` answered ${request.method} ${request.path} with ` +
            `${response.statusCode}: a proxy or load balancer could not reach the server.`,
          { context, remote: context.remote, sent: 'maybe' },
        );
      }
      return response;
    } catch (error) {
      throw this.#translate(error, request, context);
    }
  }

  #translate(error: unknown, request: HttpRequest, context: RequestContext): Error {
    const where = `${request.method} ${request.path} to remote \`${context.remote}\``;
    if (error instanceof TransportError) {
      // Connector errors are made before any request is known; they concern every
      // request that was waiting for the socket.
      error.request ??= `${request.method} ${request.path}`;
      return error;
    }
    if (request.signal?.aborted === true) {
      return new AbortError(`${where} was aborted.`, {
        context,
        remote: context.remote,
        sent: 'maybe',
        cause: request.signal.reason,
      });
    }
    if (error instanceof undiciErrors.HeadersTimeoutError) {
      const timeout = request.headersTimeout ?? this.#options.headersTimeout;
      return new TimeoutError(`${where} got no answer within ${timeout} ms.`, {
        context,
        remote: context.remote,
        sent: 'maybe',
        stage: 'headers',
        timeout,
        cause: error,
      });
    }
    if (error instanceof undiciErrors.BodyTimeoutError) {
      const timeout = request.bodyTimeout ?? this.#options.bodyTimeout;
      return new TimeoutError(`${where}: the answer's body stalled for ${timeout} ms.`, {
        context,
        remote: context.remote,
        sent: 'yes',
        stage: 'body',
        timeout,
        cause: error,
      });
    }
    const reason = error instanceof Error ? error.message : String(error);
    return new ConnectionError(
      `${where} failed: the connection broke (${reason}) and the request may have ` +
        'reached the server.',
      { context, remote: context.remote, sent: 'maybe', cause: error },
    );
  }

  async #lease(signal?: AbortSignal, context?: RequestContext): Promise<Client> {
    const closed = () =>
      new ConnectionError(
        `The transport of remote \`${this.endpoint.remote}\` is closed; connect again.`,
        { ...(context && { context }), remote: this.endpoint.remote, sent: 'no' },
      );
    if (this.#closed) throw closed();
    // Most recently used first: its socket is the likeliest to be open still.
    const idle = this.#idle.pop();
    if (idle !== undefined) return idle;
    if (this.#all.length < this.#options.maxConnections) return this.#open();

    const aborted = () =>
      new AbortError(
        `Waiting for a connection to \`${this.endpoint.remote}\` was aborted.`,
        {
          ...(context && { context }),
          remote: this.endpoint.remote,
          sent: 'no',
          cause: signal?.reason,
        },
      );
    if (signal?.aborted === true) throw aborted();
    return new Promise((resolve, reject) => {
      const detach = () => {
        signal?.removeEventListener('abort', onAbort);
        this.#closing.signal.removeEventListener('abort', onClose);
      };
      const stop = (error: TransportError) => {
        detach();
        this.#waiting.splice(this.#waiting.indexOf(take), 1);
        reject(error);
      };
      const onAbort = () => {
        stop(aborted());
      };
      const onClose = () => {
        stop(closed());
      };
      const take = (client: Client) => {
        detach();
        resolve(client);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#closing.signal.addEventListener('abort', onClose, { once: true });
      this.#waiting.push(take);
    });
  }

  #release(client: Client): void {
    if (this.#closed) return;
    if (client.destroyed) {
      this.#all.splice(this.#all.indexOf(client), 1);
      const next = this.#waiting.shift();
      if (next !== undefined) next(this.#open());
      return;
    }
    const next = this.#waiting.shift();
    if (next !== undefined) next(client);
    else this.#idle.push(client);
  }

  #open(): Client {
    const origin =
      this.endpoint.kind === 'https' ? this.endpoint.origin : 'http://localhost';
    const client = new Client(origin, {
      connect: makeConnector(this.endpoint, {
        timeout: this.#options.connectTimeout,
        stats: this.stats,
      }),
      pipelining: this.#options.pipelining,
      keepAliveTimeout: this.#options.keepAlive,
      keepAliveMaxTimeout: this.#options.keepAlive,
    });
    debug('new socket %d to %s', this.#all.length + 1, describeEndpoint(this.endpoint));
    this.#all.push(client);
    return client;
  }
}

function idempotent(request: HttpRequest): boolean {
  return request.idempotent ?? (request.method !== 'POST' && request.method !== 'PATCH');
}

function isStream(body: HttpRequest['body']): boolean {
  return body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body);
}

function isGatewayFailure(status: number): boolean {
  return status === 502 || status === 503 || status === 504;
}

// Failures a resend can mend. Timeouts are not among them: the time was the
// caller's to give, and it is spent. A refused certificate will be refused again.
function retryable(error: TransportError): boolean {
  return error instanceof ConnectionError;
}
