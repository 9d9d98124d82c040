// FAKE servers and the transports that talk to them, made for one test and closed
// after it: the set-up every fault test of the transport layer shares.
import { afterEach } from 'node:test';

import type { UnixEndpoint } from '../../src/transport/endpoint.js';
import { RemoteTransport, type TransportOptions } from '../../src/transport/transport.js';
import { FakeHttpServer, type Script } from './fake-http-server.js';

/**
 * Registers, in the calling test file, the closing of every fake server and
 * transport made through the returned functions after each test.
 */
export function fakeFixtures() {
  const servers: FakeHttpServer[] = [];
  const transports: RemoteTransport[] = [];
  afterEach(async () => {
    // Servers first: that fails whatever still waits on them, so transports can close.
    await Promise.all(servers.splice(0).map((server) => server.close()));
    await Promise.all(transports.splice(0).map((transport) => transport.close()));
  });

  /** Closes the transport after the test. */
  const track = (transport: RemoteTransport): RemoteTransport => {
    transports.push(transport);
    return transport;
  };

  return {
    track,
    /** A fake server, not listening yet. */
    fakeServer: (script: Script): FakeHttpServer => {
      const server = new FakeHttpServer(script);
      servers.push(server);
      return server;
    },
    /** A transport to the fake server's socket, for the remote named `remote`. */
    transportTo: (
      server: FakeHttpServer,
      options?: TransportOptions,
      remote = 'fake',
    ): RemoteTransport => {
      const endpoint: UnixEndpoint = {
        kind: 'unix',
        remote,
        client: 'lxc',
        socketPath: server.socketPath,
      };
      return track(new RemoteTransport(endpoint, options));
    },
  };
}

/** The requests a fake server received, as `METHOD /path`. */
export function seen(server: FakeHttpServer): string[] {
  return server.requests.map((request) => `${request.method} ${request.path}`);
}
