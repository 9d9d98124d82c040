// A TCP proxy on the loopback interface that relays bytes both ways unchanged (TLS
// passes through it untouched: it never sees a key) and counts what round trips
// cost, for tests that prove how many a call takes against the real servers.
//
// It counts, since the last `reset()`:
// - connections: TCP connections accepted from the client;
// - client turns: flights of bytes from the client. A turn starts when bytes come
//   from the client and the last bytes seen on that connection went the other way,
//   or none had gone yet; the client's further bytes belong to the same turn.
//
// Why turns are round trips: a client that must hear from the server before it can
// write again can only start a new turn after the server's bytes came, so each
// wait for an answer is one turn, and the first flight is one more. The TCP
// handshake is no data and is not counted: a cold connection costs one round trip
// more than its turns. Over TLS 1.3 with a client certificate, the ClientHello is
// the first turn, and the client's Certificate, CertificateVerify and Finished,
// with the requests written right after them, are the second. Bytes the server
// sends of its own accord (TLS session tickets, say) end a turn but start none.
//
// Note: it counts turns, not waits. A client that writes a request while an answer
// is arriving, without waiting for that answer, starts a turn that cost no round
// trip and is counted too high; a client that waits for something other than this
// connection's bytes (a timer, another socket) is counted too low. The tests keep
// clear of both. Each call under test uses one connection and no timer. A batch of
// pipelined requests leaves the client within one turn of its event loop (Node's
// TLS socket writes the first request at once and the ones queued behind it when
// that write completes), while an answer needs the server and two crossings of
// this proxy, which shares that event loop. Counts are read before the client
// closes, since its TLS close_notify after the last answer would be a turn, and
// each test has a proxy of its own. Both sides have Nagle's algorithm off, so the
// proxy holds nothing back.
import { once } from 'node:events';
import { createServer, connect, isIPv4, type Server, type Socket } from 'node:net';

/** What the proxy has counted since it started or was last reset. */
export interface TurnCounts {
  readonly connections: number;
  readonly clientTurns: number;
}

/** Bytes relayed one way on one connection, with no bytes the other way between. */
interface Flight {
  readonly connection: number;
  readonly from: 'client' | 'server';
  bytes: number;
}

/** A loopback TCP proxy to one target that counts connections and client turns. */
export class TurnCountingProxy {
  readonly #target: { readonly host: string; readonly port: number };
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  #accepted = 0;
  #connections = 0;
  #clientTurns = 0;
  #flights: Flight[] = [];

  private constructor(target: { host: string; port: number }) {
    this.#target = target;
  }

  /** Starts a proxy on 127.0.0.1, port 0, to `target` (`host:port`, on loopback). */
  static async start(target: string): Promise<TurnCountingProxy> {
    const proxy = new TurnCountingProxy(parseLoopback(target));
    const server = createServer({ allowHalfOpen: true }, (client) => {
      proxy.#relay(client);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    proxy.#server = server;
    return proxy;
  }

  /** The port the proxy listens on, on 127.0.0.1. */
  get port(): number {
    const address = this.#server?.address();
    if (address === null || address === undefined || typeof address === 'string') {
      throw new Error('The turn-counting proxy is not listening.');
    }
    return address.port;
  }

  get counts(): TurnCounts {
    return { connections: this.#connections, clientTurns: this.#clientTurns };
  }

  /**
   * The bytes relayed since the last reset, one line a flight (`#1 client 364 B`,
   * `#1 server 961 B`, …): what an assertion on the counts shows when it fails.
   */
  get transcript(): string {
    return this.#flights
      .map((flight) => `#${flight.connection} ${flight.from} ${flight.bytes} B`)
      .join('\n');
  }

  /** Starts counting from zero; connections already open stay open. */
  reset(): void {
    this.#connections = 0;
    this.#clientTurns = 0;
    this.#flights = [];
  }

  /** Stops listening and cuts every connection, both sides. */
  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server === undefined) return;
    const closed = once(server, 'close');
    server.close();
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }

  #relay(client: Socket): void {
    this.#accepted += 1;
    this.#connections += 1;
    const connection = this.#accepted;
    const upstream = connect({
      host: this.#target.host,
      port: this.#target.port,
      allowHalfOpen: true,
      noDelay: true,
    });
    client.setNoDelay(true);
    let last: 'client' | 'server' | undefined;

    this.#track(client, upstream);
    this.#track(upstream, client);
    const seen = (from: 'client' | 'server', bytes: number) => {
      if (from === 'client' && last !== 'client') this.#clientTurns += 1;
      const flight = this.#flights.at(-1);
      if (flight?.connection === connection && flight.from === from) {
        flight.bytes += bytes;
      } else {
        this.#flights.push({ connection, from, bytes });
      }
      last = from;
    };
    forward(client, upstream, (bytes) => {
      seen('client', bytes);
    });
    forward(upstream, client, (bytes) => {
      seen('server', bytes);
    });
  }

  // Either side's failure or close takes the other down: the proxy must look to
  // the client like the server itself.
  #track(socket: Socket, peer: Socket): void {
    this.#sockets.add(socket);
    socket.on('error', () => {
      peer.destroy();
    });
    socket.once('close', () => {
      this.#sockets.delete(socket);
      peer.destroy();
    });
  }
}

/** Relays `from` to `to` with backpressure, calling `seen` before each chunk goes. */
function forward(from: Socket, to: Socket, seen: (bytes: number) => void): void {
  from.on('data', (chunk: Buffer) => {
    seen(chunk.length);
    if (!to.write(chunk)) {
      from.pause();
      to.once('drain', () => {
        from.resume();
      });
    }
  });
  from.once('end', () => {
    to.end();
  });
}

function parseLoopback(target: string): { host: string; port: number } {
  const match = /^(.+):(\d+)$/.exec(target);
  const host = match?.[1];
  const port = Number(match?.[2]);
  if (host === undefined || !isIPv4(host) || !host.startsWith('127.') || !(port > 0)) {
    throw new Error(
      `The turn-counting proxy relays to loopback only: ${target} is not ` +
        'an address of the form 127.x.y.z:port.',
    );
  }
  return { host, port };
}
