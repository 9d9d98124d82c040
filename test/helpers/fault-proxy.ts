// A FAULT-injecting HTTPS proxy, for tests only: it sits on loopback between our
// client and a REAL sandbox server and breaks chosen requests on purpose, because a
// real server cannot be made to fail on demand. Everything it does not break is
// the real server's answer, byte for byte.
//
// It terminates TLS with a test certificate of its own (the test's client config
// pins it, see proxied-config.ts), so it sees each request, and talks to the real
// server as a client trusted there (the sandbox's client certificate). A rule picks
// requests by method and path (the exec POST, the wait, a log read, a file write)
// and says what to do to them: answer 502/503/504, drop the connection as the
// request arrives, close it after the request reached the server, cut the answer's
// body short of its announced length, delay the answer, or never answer.
//
// Each client connection has one upstream connection of its own, and its requests
// are forwarded one at a time, in order, each once the previous answer was relayed:
// the server serves a connection's requests strictly in order anyway. So when a
// fault breaks a connection, the requests the client had pipelined behind the
// broken one never reach the server, as when a link fails at that point.
import { once } from 'node:events';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { pipeline } from 'node:stream/promises';

import { Client } from 'undici';

import type { ServerDescription } from '../../sandbox/description.js';
import { makeCertPair, type CertPair } from './certs.js';
import { pinnedConnectOptions } from './sandbox.js';

/** What the proxy does to a request that a rule picked. */
export type HttpFault =
  /** Answers this status; with `forward`, only after the server answered the request. */
  | {
      readonly kind: 'status';
      readonly status: 502 | 503 | 504;
      readonly forward?: boolean;
    }
  /** Closes the connection as the request arrives: it never reaches the server. */
  | { readonly kind: 'drop' }
  /** Forwards the request, lets the server answer it, and closes without a byte. */
  | { readonly kind: 'close-after-forward' }
  /** Forwards it, sends the headers with the full length and `at` bytes (half by default), closes. */
  | { readonly kind: 'cut'; readonly at?: number }
  /** Forwards it, sends the headers and `at` bytes of the body (half by default), then stalls. */
  | { readonly kind: 'stall-body'; readonly at?: number }
  /** Forwards it and holds the answer back for `ms` milliseconds. */
  | { readonly kind: 'delay'; readonly ms: number }
  /** Forwards it and never answers, nor anything behind it on the connection. */
  | { readonly kind: 'stall' };

/** Which requests a fault hits. */
export interface FaultRule {
  /** `GET`, `POST`, …; any method when absent. */
  readonly method?: string;
  /** Matched against the path with its query; a string must occur in it. */
  readonly path: string | RegExp;
  readonly fault: HttpFault;
  /** Matching requests to let through untouched first. Default 0. */
  readonly skip?: number;
  /** How many matching requests it hits. Default 1. */
  readonly times?: number;
}

/** One request as the proxy saw it, for assertions and for failure messages. */
export interface SeenRequest {
  readonly connection: number;
  readonly method: string;
  readonly path: string;
  /** The fault applied, if any. */
  readonly fault?: HttpFault['kind'];
  /** The server's answer that the fault kept from the client, when it had one. */
  swallowed?: string;
}

/** Requests of the exec protocol, as rules want to name them. */
export const execSteps = {
  upload: { method: 'POST', path: /\/files\?path=%2Ftmp%2F\.lxd-api-stdin-/ },
  exec: { method: 'POST', path: /\/exec(\?|$)/ },
  wait: { method: 'GET', path: /^\/1\.0\/operations\/[^/?]+\/wait/ },
  operation: { method: 'GET', path: /^\/1\.0\/operations\/[^/?]+(\?|$)/ },
  readStdout: { method: 'GET', path: /\/logs\/.*exec_[^/?]+\.stdout/ },
  readStderr: { method: 'GET', path: /\/logs\/.*exec_[^/?]+\.stderr/ },
  deleteStdout: { method: 'DELETE', path: /\/logs\/.*exec_[^/?]+\.stdout/ },
  deleteStderr: { method: 'DELETE', path: /\/logs\/.*exec_[^/?]+\.stderr/ },
} as const;

/** Hop-by-hop headers, which belong to one connection and are not relayed. */
const hopByHop = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host']);

interface Downstream {
  readonly number: number;
  readonly socket: Socket;
  readonly upstream: Client;
  /** The forwarding of this connection's requests, one after another. */
  queue: Promise<void>;
  /** Set once a fault broke the connection: nothing more is forwarded. */
  broken: boolean;
}

/** The fault-injecting proxy: a test certificate, rules, and a record of requests. */
export class FaultProxy {
  /** The certificate the proxy presents; the client's config must pin it. */
  readonly certificate: CertPair;
  /** Every request received, in order of arrival. */
  readonly seen: SeenRequest[] = [];
  /** Errors of the proxy's own upstream side, which no test expects. */
  readonly upstreamErrors: unknown[] = [];

  readonly #server: Server;
  readonly #origin: string;
  readonly #connect: ReturnType<typeof pinnedConnectOptions>;
  readonly #rules: { rule: FaultRule; skip: number; left: number }[] = [];
  readonly #connections = new Set<Downstream>();
  #accepted = 0;

  private constructor(server: ServerDescription, certificate: CertPair) {
    this.certificate = certificate;
    this.#origin = `https://${server.httpsAddress}`;
    this.#connect = pinnedConnectOptions(server, server.remotes.https);
    this.#server = createServer({ cert: certificate.cert, key: certificate.key });
    // No timers of the proxy's own: the client and the server decide when to give up.
    this.#server.keepAliveTimeout = 0;
    this.#server.requestTimeout = 0;
    this.#server.on('secureConnection', (socket: Socket) => {
      this.#accept(socket);
    });
    this.#server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      this.#handle(request, response);
    });
    // A client that gives up mid-handshake is no news.
    this.#server.on('tlsClientError', () => undefined);
  }

  /** Starts a proxy on 127.0.0.1, port 0, to the server's HTTPS address. */
  static async start(
    server: ServerDescription,
    certificate?: CertPair,
  ): Promise<FaultProxy> {
    const proxy = new FaultProxy(
      server,
      certificate ?? makeCertPair('lxd-api-fault-proxy'),
    );
    proxy.#server.listen(0, '127.0.0.1');
    await once(proxy.#server, 'listening');
    return proxy;
  }

  get port(): number {
    const address = this.#server.address();
    if (address === null || typeof address === 'string') {
      throw new Error('The fault proxy is not listening.');
    }
    return address.port;
  }

  /** Adds a rule; rules are tried in the order they were added. */
  inject(rule: FaultRule): this {
    this.#rules.push({ rule, skip: rule.skip ?? 0, left: rule.times ?? 1 });
    return this;
  }

  /** Rules that have not hit as often as they should: a test asserts there are none. */
  get unused(): FaultRule[] {
    return this.#rules.filter((each) => each.left > 0).map((each) => each.rule);
  }

  /** Forgets the rules and the record of requests. */
  reset(): void {
    this.#rules.length = 0;
    this.seen.length = 0;
  }

  /** Client connections accepted so far. */
  get connections(): number {
    return this.#accepted;
  }

  /**
   * Closes every client connection that has no request in flight, as a server
   * closes kept-alive connections after its idle timeout. Resolves once they closed.
   */
  async closeIdle(): Promise<number> {
    const closing: Promise<unknown>[] = [];
    for (const each of this.#connections) {
      const busy = (each.socket as Socket & { _httpMessage?: unknown })._httpMessage;
      if (busy !== null && busy !== undefined) continue;
      closing.push(once(each.socket, 'close'));
      each.socket.end();
    }
    await Promise.all(closing);
    return closing.length;
  }

  /** Stops listening and cuts every connection, both sides. */
  async close(): Promise<void> {
    const closed = once(this.#server, 'close');
    this.#server.close();
    for (const each of this.#connections) {
      each.socket.destroy();
      void each.upstream.destroy();
    }
    await closed;
  }

  #accept(socket: Socket): void {
    this.#accepted += 1;
    const downstream: Downstream = {
      number: this.#accepted,
      socket,
      upstream: new Client(this.#origin, {
        connect: this.#connect,
        headersTimeout: 0,
        bodyTimeout: 0,
      }),
      queue: Promise.resolve(),
      broken: false,
    };
    this.#connections.add(downstream);
    socket.on('error', () => undefined);
    socket.once('close', () => {
      downstream.broken = true;
      this.#connections.delete(downstream);
      // Requests already with the server finish there; nothing more is sent.
      void downstream.upstream.close();
    });
  }

  #handle(request: IncomingMessage, response: ServerResponse): void {
    const downstream = [...this.#connections].find(
      (each) => each.socket === request.socket,
    );
    const method = request.method ?? 'GET';
    const path = request.url ?? '/';
    const fault = this.#pick(method, path);
    const seen: SeenRequest = {
      connection: downstream?.number ?? 0,
      method,
      path,
      ...(fault === undefined ? {} : { fault: fault.kind }),
    };
    this.seen.push(seen);
    if (downstream === undefined) {
      request.socket.destroy();
      return;
    }
    if (fault?.kind === 'drop') {
      downstream.broken = true;
      downstream.socket.destroy();
      return;
    }
    const body = collect(request);
    downstream.queue = downstream.queue
      .then(async () => {
        if (downstream.broken) return;
        await this.#forward(downstream, request, response, await body, fault, seen);
      })
      .catch((error: unknown) => {
        if (!downstream.broken) this.upstreamErrors.push(error);
        downstream.broken = true;
        downstream.socket.destroy();
      });
  }

  #pick(method: string, path: string): HttpFault | undefined {
    for (const each of this.#rules) {
      const { rule } = each;
      if (each.left === 0) continue;
      if (rule.method !== undefined && rule.method !== method) continue;
      const matches =
        typeof rule.path === 'string' ? path.includes(rule.path) : rule.path.test(path);
      if (!matches) continue;
      if (each.skip > 0) {
        each.skip -= 1;
        continue;
      }
      each.left -= 1;
      return rule.fault;
    }
    return undefined;
  }

  async #forward(
    downstream: Downstream,
    request: IncomingMessage,
    response: ServerResponse,
    body: Buffer,
    fault: HttpFault | undefined,
    seen: SeenRequest,
  ): Promise<void> {
    if (fault?.kind === 'status' && fault.forward !== true) {
      answerStatus(response, fault.status);
      return;
    }
    const answer = await downstream.upstream.request({
      method: request.method ?? 'GET',
      path: request.url ?? '/',
      headers: relayedHeaders(request.headers),
      body: body.length === 0 && request.method === 'GET' ? null : body,
    });
    const headers = relayedHeaders(answer.headers);

    switch (fault?.kind) {
      case 'status':
        seen.swallowed = await answer.body.text();
        answerStatus(response, fault.status);
        return;
      case 'close-after-forward':
        seen.swallowed = await answer.body.text();
        this.#break(downstream);
        return;
      case 'stall':
        await answer.body.dump({ limit: Number.MAX_SAFE_INTEGER });
        // The answer never goes out; neither does anything behind it.
        downstream.broken = true;
        return;
      case 'stall-body':
      case 'cut': {
        const whole = Buffer.from(await answer.body.arrayBuffer());
        seen.swallowed = whole.toString();
        const at = Math.min(fault.at ?? Math.floor(whole.length / 2), whole.length - 1);
        response.writeHead(answer.statusCode, {
          ...headers,
          'content-length': String(whole.length),
        });
        // Broken before the next request is forwarded: none goes out behind it.
        downstream.broken = true;
        await new Promise((resolve) =>
          response.write(whole.subarray(0, Math.max(0, at)), resolve),
        );
        if (fault.kind === 'cut') this.#break(downstream);
        return;
      }
      case 'delay':
        await new Promise((resolve) => setTimeout(resolve, fault.ms));
        break;
      case 'drop':
      case undefined:
        break;
    }
    response.writeHead(answer.statusCode, headers);
    await pipeline(answer.body, response);
  }

  #break(downstream: Downstream): void {
    downstream.broken = true;
    downstream.socket.destroy();
  }
}

function answerStatus(response: ServerResponse, status: number): void {
  const body = JSON.stringify({
    type: 'error',
    error: `fault proxy: injected ${status}`,
    error_code: status,
    metadata: null,
  });
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
  });
  response.end(body);
}

function relayedHeaders(
  headers: Readonly<Record<string, string | string[] | undefined>>,
): Record<string, string | string[]> {
  const relayed: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || hopByHop.has(name.toLowerCase())) continue;
    relayed[name] = value;
  }
  return relayed;
}

async function collect(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
