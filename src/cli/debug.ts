import { subscribe } from 'node:diagnostics_channel';

import { routeChannelName, type RouteEvent } from '../host/instance-route.js';

interface RequestMessage {
  readonly request: {
    readonly method: string;
    readonly path: string;
    readonly origin?: unknown;
  };
  readonly response?: { readonly statusCode: number };
}

/**
 * `--debug`: every request on stderr with its status and timing, and each change of
 * the way to an instance of a cluster (a fallback, a move).
 */
export function logRequests(write: (line: string) => void): void {
  const started = new WeakMap<object, number>();
  subscribe('undici:request:create', (message) => {
    started.set((message as RequestMessage).request, performance.now());
  });
  subscribe('undici:request:headers', (message) => {
    const { request, response } = message as RequestMessage;
    const since = started.get(request);
    const took =
      since === undefined ? '' : ` ${(performance.now() - since).toFixed(1)} ms`;
    // The path only: bodies may hold input, and headers are never printed.
    write(
      `debug: ${request.method} ${request.path} -> ${response?.statusCode ?? '?'}${took}`,
    );
  });
  subscribe(routeChannelName, (message) => {
    write(`debug: cluster: ${(message as RouteEvent).message}`);
  });
  subscribe('undici:request:error', (message) => {
    const { request } = message as RequestMessage;
    write(`debug: ${request.method} ${request.path} failed`);
  });
}
