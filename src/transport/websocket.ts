import type { Socket } from 'node:net';

import WebSocket from 'ws';

import { makeConnector, type ConnectorStats } from './connector.js';
import { describeEndpoint, type Endpoint } from './endpoint.js';
import { ConnectionError, TransportError } from './errors.js';

/** A WebSocket opened to a remote: binary messages arrive as Buffers. */
export interface RemoteSocket {
  /** Sends one binary message. */
  send(data: Buffer): void;
  /** Stops reading from the connection (backpressure) until `resume`. */
  pause(): void;
  resume(): void;
  /** Starts the closing handshake; `closed` settles once the socket is down. */
  close(): void;
  /** Drops the connection at once, without a closing handshake. */
  terminate(): void;
  /** Whether the open connection alone keeps the process alive (it does at first). */
  setRef(ref: boolean): void;
  /** Resolves when the socket is closed, by either side or by a failure. */
  readonly closed: Promise<void>;
}

/** What a remote socket tells its owner. */
export interface SocketEvents {
  readonly onMessage: (data: Buffer) => void;
  readonly onClose: (reason: string) => void;
}

/**
 * Opens a connection to the remote with its own connector: the same TLS identity,
 * the same pinned certificate check, HTTP/1.1 only, or the unix socket. Made
 * ahead, it lets a WebSocket's TCP and TLS handshakes overlap other requests.
 */
export function connectSocket(
  endpoint: Endpoint,
  options: { timeout: number; stats: ConnectorStats },
): Promise<Socket> {
  const connector = makeConnector(endpoint, options);
  return new Promise((resolve, reject) => {
    connector({} as never, (error, socket) => {
      if (error === null) resolve(socket);
      else reject(error);
    });
  });
}

/**
 * Opens a WebSocket to `path` (with its query) over `connection`, or a fresh
 * connection made as `connectSocket` makes them. Each socket gets a connection of
 * its own, since an upgraded connection leaves HTTP for good.
 *
 * Why `ws` rather than undici's WebSocket: a session's output must be able to
 * wait for a slow sink (a file, say), and only `ws` can stop reading a socket.
 */
export async function openWebSocket(
  endpoint: Endpoint,
  path: string,
  events: SocketEvents,
  options: {
    timeout: number;
    stats: ConnectorStats;
    connection?: Promise<Socket>;
  },
): Promise<RemoteSocket> {
  const origin = endpoint.kind === 'https' ? endpoint.origin : 'http://localhost';
  const connection = options.connection ?? connectSocket(endpoint, options);
  let raw: Socket | undefined;
  // Node's HTTP client takes a connection from this function, by callback.
  const createConnection = (
    _options: unknown,
    callback: (error: Error | null, socket?: Socket) => void,
  ): undefined => {
    connection.then(
      (socket) => {
        raw = socket;
        callback(null, socket);
      },
      (error: unknown) => {
        callback(error instanceof Error ? error : new Error(String(error)));
      },
    );
    return undefined;
  };
  const socket = new WebSocket(`${origin.replace(/^http/, 'ws')}${path}`, {
    createConnection: createConnection as never,
    perMessageDeflate: false,
    handshakeTimeout: options.timeout,
  });

  let failure: Error | undefined;
  const closed = new Promise<void>((resolve) => {
    socket.on('close', (code) => {
      events.onClose(failure?.message ?? `the server closed it with code ${code}`);
      resolve();
    });
  });
  socket.on('message', (data: Buffer) => {
    events.onMessage(data);
  });

  await new Promise<void>((resolve, reject) => {
    socket.once('open', resolve);
    socket.on('error', (error) => {
      failure = error;
      reject(
        error instanceof TransportError
          ? error
          : new ConnectionError(
              `Cannot use a WebSocket to remote \`${endpoint.remote}\` at ` +
                `${describeEndpoint(endpoint)}: ${error.message}`,
              { remote: endpoint.remote, sent: 'maybe', cause: error },
            ),
      );
    });
  });

  return {
    send: (data) => {
      socket.send(data);
    },
    pause: () => {
      socket.pause();
    },
    resume: () => {
      socket.resume();
    },
    close: () => {
      socket.close();
    },
    terminate: () => {
      socket.terminate();
    },
    setRef: (ref) => {
      if (ref) raw?.ref();
      else raw?.unref();
    },
    closed,
  };
}
