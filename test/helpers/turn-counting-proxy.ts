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
//
// Two faults, for the tests of broken sessions, which a real server cannot be made
// to show on demand: `cut()` drops every connection at once while the proxy keeps
// listening, and `refuseNew` closes each new connection as soon as it is accepted
// (an existing connection goes on working, as through a middlebox that lets no new
// connection or WebSocket through).
//
// With a one-way delay (the benchmarks' use), every chunk leaves the proxy that
// many milliseconds after it came, in order, each direction on its own, so that a
// chosen round-trip time sits between client and server. A new connection's first
// client bytes leave no earlier than three one-way delays after it was accepted:
// the kernel answers the client's SYN at once, and the TCP handshake that a real
// link would charge (SYN, SYN-ACK, then the first bytes) must be charged here. The
// turns are then counted as the client sees them: its bytes when they come, the
// server's when they are delivered to it.
import { once } from 'node:events';
import { createServer, connect, isIPv4, type Server, type Socket } from 'node:net';

import { delayLine, type DelayLine } from './delay-line.js';

/** What the proxy has counted since it started or was last reset. */
export interface TurnCounts {
  readonly connections: number;
  readonly clientTurns: number;
}

/** Bytes relayed one way on one connection, with no bytes the other way between. */
interface Flight {
  readonly connection: number;
  readonly from: 'client' | 'server';
  /** Milliseconds from the last reset to the flight's first bytes. */
  readonly at: number;
  bytes: number;
}

/** Options of a turn-counting proxy. */
export interface ProxyOptions {
  /** Milliseconds added to each direction; 0 (the default) relays at once. */
  readonly oneWayDelay?: number;
}

/** A loopback TCP proxy to one target that counts connections and client turns. */
export class TurnCountingProxy {
  /**
   * Milliseconds added to each direction. Change it only while no bytes are in
   * flight: a chunk already held keeps the delay it was given.
   */
  oneWayDelay: number;
  readonly #target: { readonly host: string; readonly port: number };
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  #accepted = 0;
  #connections = 0;
  #clientTurns = 0;
  #flights: Flight[] = [];
  #since = performance.now();

  private constructor(target: { host: string; port: number }, options: ProxyOptions) {
    this.#target = target;
    this.oneWayDelay = options.oneWayDelay ?? 0;
  }

  /** Starts a proxy on 127.0.0.1, port 0, to `target` (`host:port`, on loopback). */
  static async start(
    target: string,
    options: ProxyOptions = {},
  ): Promise<TurnCountingProxy> {
    const proxy = new TurnCountingProxy(parseLoopback(target), options);
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
   * The bytes relayed since the last reset, one line a flight (`#1 client 364 B
   * +0.1 ms`, `#1 server 961 B +2.3 ms`, …): what an assertion on the counts shows
   * when it fails. Server flights are timed as delivered to the client.
   */
  get transcript(): string {
    return this.#flights
      .map(
        (flight) =>
          `#${flight.connection} ${flight.from} ${flight.bytes} B ` +
          `+${flight.at.toFixed(1)} ms`,
      )
      .join('\n');
  }

  /** Starts counting from zero; connections already open stay open. */
  reset(): void {
    this.#connections = 0;
    this.#clientTurns = 0;
    this.#flights = [];
    this.#since = performance.now();
  }

  /** Closes every new connection at once while true. */
  refuseNew = false;

  /** Cuts every connection, both sides, and goes on listening. */
  cut(): void {
    for (const socket of this.#sockets) socket.destroy();
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
    if (this.refuseNew) {
      client.destroy();
      return;
    }
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

    const seen = (from: 'client' | 'server', bytes: number) => {
      if (from === 'client' && last !== 'client') this.#clientTurns += 1;
      const flight = this.#flights.at(-1);
      if (flight?.connection === connection && flight.from === from) {
        flight.bytes += bytes;
      } else {
        this.#flights.push({
          connection,
          from,
          at: performance.now() - this.#since,
          bytes,
        });
      }
      last = from;
    };
    const delay = () => this.oneWayDelay;
    const toServer = delayLine(client, upstream, {
      delay,
      notBefore: performance.now() + 3 * this.oneWayDelay,
      arrived: (bytes) => {
        seen('client', bytes);
      },
    });
    const toClient = delayLine(upstream, client, {
      delay,
      notBefore: 0,
      delivered: (bytes) => {
        seen('server', bytes);
      },
    });
    this.#track(client, upstream, toServer);
    this.#track(upstream, client, toClient);
  }

  // Either side's failure or close takes the other down: the proxy must look to
  // the client like the server itself. A side that closed cleanly takes its peer
  // down only once the bytes it sent have been delivered.
  #track(socket: Socket, peer: Socket, line: DelayLine): void {
    this.#sockets.add(socket);
    socket.on('error', () => {
      peer.destroy();
    });
    socket.once('close', (hadError: boolean) => {
      this.#sockets.delete(socket);
      if (hadError) peer.destroy();
      else
        line.afterFlush(() => {
          peer.destroy();
        });
    });
  }
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
