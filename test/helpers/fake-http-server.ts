// A FAKE HTTP/1.1 server, for fault injection only. The real LXD and Incus servers
// of the sandbox are the fixture for everything they can do; this one exists for
// what they cannot be made to do on demand: come up late, drop a connection after
// reading a request, answer 503 once, or never answer at all.
//
// It listens on a unix socket in a scratch folder and understands just enough
// HTTP/1.1 for the transport's requests: the request line, the headers, and a body
// of `content-length` bytes (undici sends one for string and Buffer bodies). A
// chunked body is not understood: the fake drops the connection instead.
import { EventEmitter } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import { join } from 'node:path';

import { scratchDir } from './scratch.js';

/** A request as the fake server read it off a connection. */
export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  /** Header names in lowercase. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /** The connection it came on, numbered from 1 in the order they were accepted. */
  readonly connection: number;
  /** Its place among all the requests the server received, from 0. */
  readonly index: number;
}

/** What the fake server does with one request. */
export type Reaction =
  | {
      readonly kind: 'answer';
      readonly status: number;
      readonly body: string;
      /** Say `connection: close` and end the connection after the answer. */
      readonly close: boolean;
    }
  | { readonly kind: 'destroy' }
  | { readonly kind: 'stall' };

/**
 * Decides the reaction to each request, as soon as the request is read. It may take
 * its time (to wait for a later request, say): answers still go out in the order of
 * the requests on a connection, as HTTP/1.1 pipelining requires.
 */
export type Script = (request: ReceivedRequest) => Reaction | Promise<Reaction>;

/** Answers with `status` and `body` (JSON by default). */
export function answer(
  status: number,
  body = '{}',
  options: { close?: boolean } = {},
): Reaction {
  return { kind: 'answer', status, body, close: options.close ?? false };
}

/** Reads the request, then destroys the connection without a word. */
export function destroy(): Reaction {
  return { kind: 'destroy' };
}

/** Reads the request and never answers it, nor anything after it on its connection. */
export function stall(): Reaction {
  return { kind: 'stall' };
}

/** A script that gives each request the next reaction; the last one repeats. */
export function inTurn(first: Reaction, ...rest: Reaction[]): Script {
  const reactions = [first, ...rest];
  let next = 0;
  return () => reactions[Math.min(next++, reactions.length - 1)] ?? first;
}

/** The fake server: a script, a unix socket, and a record of what it received. */
export class FakeHttpServer {
  readonly socketPath = join(scratchDir('fake-http-'), 'fake.socket');
  /** Every request received, in order of arrival. */
  readonly requests: ReceivedRequest[] = [];
  /** Connections accepted so far. */
  connections = 0;
  /** Scripts that threw; the fake destroyed their connection instead of answering. */
  readonly scriptErrors: unknown[] = [];

  readonly #script: Script;
  readonly #sockets = new Set<Socket>();
  readonly #arrivals = new EventEmitter();
  #listener: Server | undefined;

  constructor(script: Script) {
    this.#script = script;
  }

  /** Starts listening on `socketPath`; call it late to play a server that starts late. */
  async listen(): Promise<void> {
    const listener = createServer((socket) => {
      this.#accept(socket);
    });
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(this.socketPath, resolve);
    });
    this.#listener = listener;
  }

  /** Stops accepting connections (the socket file goes away); open ones stay. */
  stopListening(): void {
    this.#listener?.close();
    this.#listener = undefined;
  }

  /** Resolves once `count` requests have arrived; rejects after `timeout` ms. */
  async waitForRequests(count: number, timeout = 2_000): Promise<void> {
    if (this.requests.length >= count) return;
    await new Promise<void>((resolve, reject) => {
      const onArrival = () => {
        if (this.requests.length < count) return;
        clearTimeout(timer);
        this.#arrivals.off('request', onArrival);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#arrivals.off('request', onArrival);
        reject(
          new Error(
            `The fake server received ${this.requests.length} of the ${count} ` +
              `requests expected within ${timeout} ms.`,
          ),
        );
      }, timeout);
      this.#arrivals.on('request', onArrival);
    });
  }

  /** Destroys every connection and stops listening. */
  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    const listener = this.#listener;
    this.#listener = undefined;
    if (listener === undefined) return;
    await new Promise<void>((resolve) => {
      listener.close(() => {
        resolve();
      });
    });
  }

  #accept(socket: Socket): void {
    this.connections += 1;
    const connection = this.connections;
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    // The client may reset the connection whenever it likes; that is no news here.
    socket.on('error', () => undefined);

    let buffered = Buffer.alloc(0);
    // Answers leave in the order their requests arrived.
    let turn = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        const parsed = parseRequest(buffered);
        if (parsed === 'incomplete') return;
        if (parsed === 'unsupported') {
          socket.destroy();
          return;
        }
        buffered = buffered.subarray(parsed.length);
        const request = { ...parsed.request, connection, index: this.requests.length };
        this.requests.push(request);
        this.#arrivals.emit('request');
        const reaction = Promise.resolve().then(() => this.#script(request));
        turn = turn
          .then(() => reaction)
          .then(
            (chosen) => react(socket, chosen),
            (error: unknown) => {
              this.scriptErrors.push(error);
              socket.destroy();
            },
          );
      }
    });
  }
}

/** A loopback TCP port that nothing listens on, as far as anyone can tell. */
export async function closedLoopbackPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', resolve);
  });
  const address = probe.address();
  await new Promise<void>((resolve) => {
    probe.close(() => {
      resolve();
    });
  });
  if (address === null || typeof address === 'string') {
    throw new Error('A TCP listener on 127.0.0.1 has no port');
  }
  return address.port;
}

type Parsed =
  | {
      request: Omit<ReceivedRequest, 'connection' | 'index'>;
      /** Bytes the request took, body included. */
      length: number;
    }
  | 'incomplete'
  | 'unsupported';

function parseRequest(buffered: Buffer): Parsed {
  const end = buffered.indexOf('\r\n\r\n');
  if (end === -1) return 'incomplete';

  const [requestLine = '', ...headerLines] = buffered
    .subarray(0, end)
    .toString('latin1')
    .split('\r\n');
  const [method = '', path = ''] = requestLine.split(' ');
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  if (headers['transfer-encoding'] !== undefined) return 'unsupported';

  const start = end + 4;
  const length = start + Number(headers['content-length'] ?? 0);
  if (buffered.length < length) return 'incomplete';
  const body = Buffer.from(buffered.subarray(start, length));
  return { request: { method, path, headers, body }, length };
}

async function react(socket: Socket, reaction: Reaction): Promise<void> {
  switch (reaction.kind) {
    case 'destroy':
      socket.destroy();
      return;
    case 'stall':
      // Everything behind it on this connection waits with it.
      return new Promise<void>(() => undefined);
    case 'answer': {
      const body = Buffer.from(reaction.body);
      const head =
        `HTTP/1.1 ${reaction.status} ${STATUS_CODES[reaction.status] ?? 'Unknown'}\r\n` +
        'content-type: application/json\r\n' +
        `content-length: ${body.length}\r\n` +
        (reaction.close ? 'connection: close\r\n' : '') +
        '\r\n';
      socket.write(Buffer.concat([Buffer.from(head), body]));
      if (reaction.close) socket.end();
      return;
    }
  }
}
