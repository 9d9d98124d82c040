// A FAULT-injecting TCP proxy, for tests only: on loopback between our client and a
// REAL sandbox server, it relays bytes both ways untouched (TLS passes through; it
// never sees a key) except on the connections a test chose, which it breaks at the
// TCP level: refused, closed before any byte, stalled, cut after N bytes of the
// server's answer, or closed once the client's request reached the server and
// before any byte of the answer came back. TLS hides the requests, so faults are
// chosen by connection number; the HTTP-level fault-proxy.ts picks requests.
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';

/** What the proxy does to one connection. */
export type TcpFault =
  /** Accepts, then closes before any byte either way. */
  | { readonly kind: 'close' }
  /** Accepts and never relays a byte either way. */
  | { readonly kind: 'stall' }
  /** Relays `at` bytes of the server's side, then cuts both sides. */
  | { readonly kind: 'cut'; readonly at: number }
  /**
   * Relays the client's bytes; when the server's bytes come back after the
   * client's `turn`-th flight (1 is the TLS ClientHello), cuts both sides instead.
   */
  | { readonly kind: 'close-before-answer'; readonly turn: number };

/** The proxy: faults by connection number, and a count of connections accepted. */
export class FaultTcpProxy {
  /** Connections accepted so far, numbered from 1. */
  accepted = 0;
  readonly #target: { host: string; port: number };
  readonly #faults = new Map<number, TcpFault>();
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  #port = 0;

  private constructor(target: { host: string; port: number }) {
    this.#target = target;
  }

  /** Starts a proxy on 127.0.0.1 to `target` (`127.x.y.z:port`). */
  static async start(target: string): Promise<FaultTcpProxy> {
    const [host = '', port = ''] = target.split(':');
    if (!host.startsWith('127.')) {
      throw new Error(`The fault TCP proxy relays to loopback only, not to ${target}.`);
    }
    const proxy = new FaultTcpProxy({ host, port: Number(port) });
    await proxy.listen();
    return proxy;
  }

  get port(): number {
    return this.#port;
  }

  /** Breaks connection number `connection` (counted from 1 since the start). */
  inject(connection: number, fault: TcpFault): this {
    this.#faults.set(connection, fault);
    return this;
  }

  /**
   * Listens again, on the same port once it has one. Between `refuse()` and this,
   * connections are refused by the kernel (ECONNREFUSED), as with a server down.
   */
  async listen(): Promise<void> {
    const server = createServer({ allowHalfOpen: true }, (client) => {
      this.#relay(client);
    });
    server.listen(this.#port, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    this.#port = address.port;
    this.#server = server;
  }

  /** Stops listening: new connections are refused; open ones stay. */
  async refuse(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server === undefined) return;
    const closed = once(server, 'close');
    server.close();
    await closed;
  }

  /** Stops listening and cuts every connection. */
  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await this.refuse();
  }

  #relay(client: Socket): void {
    this.accepted += 1;
    const fault = this.#faults.get(this.accepted);
    this.#track(client);
    client.on('error', () => undefined);
    if (fault?.kind === 'close') {
      client.destroy();
      return;
    }
    if (fault?.kind === 'stall') {
      client.resume();
      return;
    }

    const upstream = connect({ ...this.#target, allowHalfOpen: true, noDelay: true });
    this.#track(upstream);
    client.setNoDelay(true);
    upstream.on('error', () => {
      client.destroy();
    });
    client.on('error', () => {
      upstream.destroy();
    });
    const cutBoth = () => {
      client.destroy();
      upstream.destroy();
    };
    let turns = 0;
    let last: 'client' | 'server' | undefined;
    let relayed = 0;

    client.on('data', (chunk: Buffer) => {
      if (last !== 'client') turns += 1;
      last = 'client';
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      last = 'server';
      if (fault?.kind === 'close-before-answer' && turns >= fault.turn) {
        cutBoth();
        return;
      }
      if (fault?.kind === 'cut' && relayed + chunk.length >= fault.at) {
        client.write(chunk.subarray(0, fault.at - relayed), cutBoth);
        return;
      }
      relayed += chunk.length;
      client.write(chunk);
    });
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }

  #track(socket: Socket): void {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
  }
}
