// InstanceRoute's fallback rules, with FAKE servers standing for a member and for
// the remote's address: a real member cannot be made to drop a connection right
// after reading an exec POST. The real clusters' behaviour is tested in
// cluster.integration.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { InstanceRoute } from '../../src/host/instance-route.js';
import type { RemoteConnection } from '../../src/host/remote-registry.js';
import { CertificateError, ConnectionError } from '../../src/transport/errors.js';
import { RemoteTransport, type Connection } from '../../src/transport/transport.js';
import { FakeHttpServer, answer, destroy, inTurn } from '../helpers/fake-http-server.js';
import { fakeFixtures, seen } from '../helpers/fake-fixtures.js';

// As a member's transport is made: a refused connection is not retried.
const transportTo = (server: FakeHttpServer, name: string) =>
  fakes.transportTo(server, { connectRetries: 0 }, name);

const bounded = { timeout: 5_000 };
const fakes = fakeFixtures();
const { fakeServer } = fakes;

describe('InstanceRoute', () => {
  it(
    'sends a chain to the remote when its member refuses the connection',
    bounded,
    async () => {
      const member = fakeServer(inTurn(answer(202)));
      const remote = fakeServer(inTurn(answer(202), answer(200)));
      await remote.listen();
      const { route, downs } = routeVia(member, remote);

      const statuses = await route.withConnection(execChain, { resend: false });

      assert.deepEqual(statuses, [202, 200]);
      assert.deepEqual(seen(remote), ['POST /exec', 'GET /wait']);
      assert.equal(member.requests.length, 0);
      assert.deepEqual(downs, ['node-2']);
      assert.equal(route.direct, false, 'the member is passed over for a while');
    },
  );

  it(
    'passes a member over for good when its certificate is refused before sending',
    bounded,
    async () => {
      const remote = fakeServer(inTurn(answer(200)));
      await remote.listen();
      const refusing = {
        endpoint: { kind: 'https', origin: 'https://node-2.invalid:8443' },
        request: () =>
          Promise.reject(
            new CertificateError('the certificate does not name the member', {
              remote: 'cluster',
            }),
          ),
      } as unknown as RemoteTransport;
      const { route, downs, delays } = routeVia(undefined, remote, refusing);

      const response = await route.request({ method: 'GET', path: '/1.0/instances/c1' });
      await response.body.dump();

      assert.equal(response.statusCode, 200);
      assert.deepEqual(seen(remote), ['GET /1.0/instances/c1']);
      assert.deepEqual(downs, ['node-2']);
      assert.deepEqual(delays, [Number.POSITIVE_INFINITY]);
    },
  );

  it(
    'never sends again a chain whose exec POST reached the member',
    bounded,
    async () => {
      const member = fakeServer(inTurn(destroy()));
      const remote = fakeServer(inTurn(answer(202)));
      await Promise.all([member.listen(), remote.listen()]);
      const { route, downs } = routeVia(member, remote);

      const error = await route.withConnection(execChain, { resend: false }).then(
        () => assert.fail('the chain succeeded'),
        (caught: unknown) => caught,
      );

      assert.ok(error instanceof ConnectionError, String(error));
      assert.equal(error.sent, 'maybe');
      assert.equal(seen(member)[0], 'POST /exec');
      assert.equal(remote.requests.length, 0, 'the POST went nowhere else');
      assert.deepEqual(downs, []);
    },
  );

  it(
    'never sends a chain elsewhere once a request of it was answered, even if the rest could not connect',
    bounded,
    async () => {
      // The member answers the POST and goes away: the chain's next request finds
      // no server, which alone would prove nothing left, but the POST did.
      const member = fakeServer(inTurn(answer(202, '{}', { close: true })));
      const remote = fakeServer(inTurn(answer(202)));
      await Promise.all([member.listen(), remote.listen()]);
      const { route } = routeVia(member, remote);

      const error = await route
        .withConnection(
          async (connection) => {
            const posted = await connection.send({ method: 'POST', path: '/exec' });
            await posted.body.dump();
            member.stopListening();
            return connection.send({ method: 'GET', path: '/wait' });
          },
          { resend: false },
        )
        .then(
          () => assert.fail('the chain succeeded'),
          (caught: unknown) => caught,
        );

      assert.ok(error instanceof ConnectionError, String(error));
      assert.deepEqual(seen(member), ['POST /exec']);
      assert.equal(remote.requests.length, 0, 'the chain was not run again elsewhere');
    },
  );
});

// An exec POST, then the wait behind it, pipelined on one socket.
async function execChain(connection: Connection): Promise<number[]> {
  const posted = connection.send({ method: 'POST', path: '/exec' });
  const waited = connection.send({ method: 'GET', path: '/wait' });
  // It fails with the POST when the socket does; only the POST's failure counts.
  waited.catch(() => undefined);
  const statuses: number[] = [];
  for (const response of [await posted, await waited]) {
    await response.body.dump();
    statuses.push(response.statusCode);
  }
  return statuses;
}

// A route of instance `c1` on member `node-2`, over a stand-in for the remote's
// connection that holds just what the route asks of it.
function routeVia(
  member: FakeHttpServer | undefined,
  remote: FakeHttpServer,
  memberTransport = transportTo(member ?? fakeServer(inTurn(answer(200))), 'node-2'),
) {
  const remoteTransport = transportTo(remote, 'cluster');
  const downs: string[] = [];
  const delays: (number | undefined)[] = [];
  const connection = {
    remote: { name: 'cluster' },
    transport: remoteTransport,
    routing: 'direct',
    stats: remoteTransport.stats,
    isDown: (name: string) => downs.includes(name),
    markDown: (name: string, delay?: number) => {
      downs.push(name);
      delays.push(delay);
      return delay ?? 10_000;
    },
    memberTransport: () => memberTransport,
    api: { instance: () => Promise.reject(new Error('not asked in these tests')) },
  } as unknown as RemoteConnection;
  const members = new Map([['node-2', 'https://node-2.invalid:8443']]);
  const route = new InstanceRoute(connection, members, 'c1', 'default', 'node-2');
  return { route, downs, delays };
}
