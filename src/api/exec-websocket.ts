import {
  connectSocket,
  openWebSocket,
  type RemoteSocket,
} from '../transport/websocket.js';
import type { LxdApi } from './api-client.js';
import { execRequest, type ExecSpec } from './exec.js';

/** An exec whose standard streams are WebSockets, open and ready. */
export interface ExecSockets {
  readonly operation: string;
  readonly stdin: RemoteSocket;
  readonly stdout: RemoteSocket;
  readonly stderr: RemoteSocket;
  /** The control socket; the server wants it open, we send nothing on it. */
  readonly control: RemoteSocket;
}

/** What the streams of a WebSocket exec deliver. */
export interface ExecSocketEvents {
  readonly onStdout: (data: Buffer) => void;
  readonly onStderr: (data: Buffer) => void;
  /** Called once, when the first of the sockets closes. */
  readonly onClose: (reason: string) => void;
}

/** The operation's metadata while a WebSocket exec waits for its sockets. */
interface WebSocketOperation {
  readonly id: string;
  readonly metadata: { readonly fds?: Readonly<Record<string, string>> } | null;
}

/**
 * Starts a non-interactive exec with `wait-for-websocket` and opens its four
 * sockets (`0`, `1`, `2` and `control`) at the operation's websocket URL, each on
 * a connection of its own, all at once. The server starts the command only when
 * all four are connected; if one cannot be opened, the others are closed, and
 * the server gives up on the command by itself without starting it.
 */
export async function execWithSockets(
  api: LxdApi,
  instance: string,
  spec: ExecSpec,
  events: ExecSocketEvents,
  options: { timeout: number },
): Promise<ExecSockets> {
  // The sockets' TCP and TLS handshakes go on while the exec is posted: only the
  // upgrade requests need the operation's secrets.
  const settings = { timeout: options.timeout, stats: api.transport.stats };
  const early = ['0', '1', '2', 'control'].map(() =>
    connectSocket(api.transport.endpoint, settings),
  );
  for (const each of early) each.catch(() => undefined);
  const request = execRequest(api, instance, spec, 'websocket');
  let created: WebSocketOperation;
  try {
    created = await api.decode<WebSocketOperation>(
      request,
      await api.transport.request(request),
    );
  } catch (error) {
    for (const each of early) void each.then((socket) => socket.destroy());
    throw error;
  }
  const fds = created.metadata?.fds ?? {};
  let closed = false;
  const onClose = (reason: string) => {
    if (closed) return;
    closed = true;
    events.onClose(reason);
  };
  const ignore = () => undefined;
  const open = (index: number, fd: string, onMessage: (data: Buffer) => void) => {
    const path = api.path(`/1.0/operations/${encodeURIComponent(created.id)}/websocket`, {
      secret: fds[fd] ?? '',
    });
    return openWebSocket(
      api.transport.endpoint,
      path,
      { onMessage, onClose },
      {
        ...settings,
        ...(early[index] === undefined ? {} : { connection: early[index] }),
      },
    );
  };
  const opened = await Promise.allSettled([
    open(0, '0', ignore),
    open(1, '1', events.onStdout),
    open(2, '2', events.onStderr),
    open(3, 'control', ignore),
  ]);
  const sockets = opened.flatMap((each) =>
    each.status === 'fulfilled' ? [each.value] : [],
  );
  const failed = opened.find((each) => each.status === 'rejected');
  if (failed !== undefined) {
    closed = true;
    for (const socket of sockets) socket.close();
    throw failed.reason;
  }
  const [stdin, stdout, stderr, control] = sockets as [
    RemoteSocket,
    RemoteSocket,
    RemoteSocket,
    RemoteSocket,
  ];
  return { operation: created.id, stdin, stdout, stderr, control };
}
