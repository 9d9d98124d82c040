// RemoteTransport's retry, timeout and abort policy. The faults come from a fake
// server, because the real ones cannot be made to fail on demand.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import type { HttpsEndpoint } from '../../src/transport/endpoint.js';
import { AbortError, ConnectionError, TimeoutError } from '../../src/transport/errors.js';
import { RemoteTransport, type HttpRequest } from '../../src/transport/transport.js';
import { makeCertPair } from '../helpers/certs.js';
import { assertMentions } from '../helpers/errors.js';
import {
  FakeHttpServer,
  answer,
  closedLoopbackPort,
  destroy,
  inTurn,
  stall,
  type Script,
} from '../helpers/fake-http-server.js';
import { fakeFixtures, seen } from '../helpers/fake-fixtures.js';

// Every test fails within this, rather than hang the run.
const bounded = { timeout: 5_000 };

const { fakeServer, track, transportTo } = fakeFixtures();

describe('RemoteTransport retries', () => {
  it(
    'resends a POST whose connection was refused once the server comes up',
    bounded,
    async () => {
      const server = fakeServer(inTurn(answer(201, '{"type":"sync"}')));
      const transport = transportTo(server, { retries: 3 });

      const [response] = await Promise.all([
        transport.request(post('/1.0/instances')),
        sleep(100).then(() => server.listen()),
      ]);

      assert.equal(response.statusCode, 201);
      assert.equal(await response.body.text(), '{"type":"sync"}');
      assert.deepEqual(seen(server), ['POST /1.0/instances']);
      assert.ok(
        transport.stats.retries >= 1,
        'the first attempt should have been refused',
      );
      assert.equal(transport.stats.connects, transport.stats.retries + 1);
    },
  );

  it(
    'gives up on a socket nobody listens on after one attempt and each retry',
    bounded,
    async () => {
      const server = fakeServer(inTurn(answer(200)));
      const transport = transportTo(server, { retries: 2 });

      const error = await rejection(transport.request(get('/1.0')), ConnectionError);

      assert.equal(error.code, 'LXDAPI_CONNECTION');
      assert.equal(error.sent, 'no');
      assert.equal(error.remote, 'fake');
      assert.equal(error.request, 'GET /1.0');
      assertMentions(error.message, [
        'remote `fake`',
        `unix://${server.socketPath}`,
        'no LXD daemon listens on that socket',
        'Start it',
      ]);
      assert.equal(transport.stats.connects, 3);
      assert.equal(transport.stats.retries, 2);
    },
  );

  it(
    'says the connection was refused when nothing listens on an HTTPS port',
    bounded,
    async () => {
      const port = await closedLoopbackPort();
      const pair = makeCertPair();
      const endpoint: HttpsEndpoint = {
        kind: 'https',
        remote: 'fake-https',
        client: 'incus',
        origin: `https://127.0.0.1:${port}`,
        host: '127.0.0.1',
        port,
        clientCert: pair.cert,
        clientKey: pair.key,
      };
      const transport = track(new RemoteTransport(endpoint, { retries: 1 }));

      const error = await rejection(transport.request(get('/1.0')), ConnectionError);

      assert.equal(error.code, 'LXDAPI_CONNECTION');
      assert.equal(error.sent, 'no');
      assert.equal(error.remote, 'fake-https');
      assert.equal(error.request, 'GET /1.0');
      assertMentions(error.message, [
        'remote `fake-https`',
        `https://127.0.0.1:${port}`,
        'connection refused',
        'core.https_address',
      ]);
      assert.equal(transport.stats.connects, 2);
      assert.equal(transport.stats.handshakes, 0);
    },
  );

  it('never resends a POST once it may have reached the server', bounded, async () => {
    const server = await listening(inTurn(destroy(), answer(200)));
    const transport = transportTo(server, { retries: 3 });

    const error = await rejection(
      transport.request(post('/1.0/instances/c1/exec')),
      ConnectionError,
    );

    assert.equal(error.code, 'LXDAPI_CONNECTION');
    assert.equal(error.sent, 'maybe');
    assert.equal(error.remote, 'fake');
    assert.equal(error.request, 'POST /1.0/instances/c1/exec');
    assertMentions(error.message, [
      'POST /1.0/instances/c1/exec to remote `fake`',
      'may have reached the server',
    ]);
    assert.deepEqual(seen(server), ['POST /1.0/instances/c1/exec']);
    assert.equal(transport.stats.retries, 0);
  });

  it(
    'resends a GET after its connection broke, and gets the answer',
    bounded,
    async () => {
      const server = await listening(inTurn(destroy(), answer(200, '{"n":2}')));
      const transport = transportTo(server, { retries: 3 });

      const response = await transport.request(get('/1.0'));

      assert.equal(response.statusCode, 200);
      assert.equal(await response.body.text(), '{"n":2}');
      assert.deepEqual(seen(server), ['GET /1.0', 'GET /1.0']);
      assert.equal(transport.stats.retries, 1);
      assert.equal(server.connections, 2);
    },
  );

  it('retries a GET answered 503 and returns the 200 that follows', bounded, async () => {
    const server = await listening(inTurn(answer(503, '{}'), answer(200, '{"n":2}')));
    const transport = transportTo(server, { retries: 3 });

    const response = await transport.request(get('/1.0'));

    assert.equal(response.statusCode, 200);
    assert.equal(await response.body.text(), '{"n":2}');
    assert.deepEqual(seen(server), ['GET /1.0', 'GET /1.0']);
    assert.equal(transport.stats.retries, 1);
  });

  it('returns the 503 answer to a POST rather than resend it', bounded, async () => {
    const server = await listening(inTurn(answer(503, '{"n":1}'), answer(200)));
    const transport = transportTo(server, { retries: 3 });

    const response = await transport.request(post('/1.0/instances'));

    assert.equal(response.statusCode, 503);
    assert.equal(await response.body.text(), '{"n":1}');
    assert.deepEqual(seen(server), ['POST /1.0/instances']);
    assert.equal(transport.stats.retries, 0);
  });

  it(
    'does not rerun a chain once one of its requests may have reached the server',
    bounded,
    async () => {
      // The server answers the POST, closes the connection and goes away for a while:
      // the chain's next request is refused, which alone would say "never sent".
      let back: Promise<void> | undefined;
      const server = await listening((request) => {
        if (request.method !== 'POST') return answer(200);
        server.stopListening();
        back = sleep(100).then(() => server.listen());
        return answer(202, '{}', { close: true });
      });
      const transport = transportTo(server, { retries: 3 });

      const error = await rejection(
        transport.withConnection(async (connection) => {
          const created = await connection.send(post('/1.0/instances/c1/exec'));
          await created.body.text();
          const waited = await connection.send(get('/1.0/operations/1/wait'));
          return waited.body.text();
        }),
        ConnectionError,
      );
      await back;

      assert.equal(error.code, 'LXDAPI_CONNECTION');
      assert.equal(error.sent, 'no');
      assert.equal(error.remote, 'fake');
      assert.equal(error.request, 'GET /1.0/operations/1/wait');
      assert.deepEqual(seen(server), ['POST /1.0/instances/c1/exec']);
      assert.equal(transport.stats.retries, 0);
    },
  );
});

describe('RemoteTransport timeouts and aborts', () => {
  it(
    'fails a request whose headers are late with a headers timeout, not retried',
    bounded,
    async () => {
      const server = await listening(inTurn(stall()));
      const transport = transportTo(server, { retries: 3 });

      const error = await rejection(
        transport.request({ ...get('/1.0'), headersTimeout: 200 }),
        TimeoutError,
      );

      assert.equal(error.code, 'LXDAPI_TIMEOUT');
      assert.equal(error.stage, 'headers');
      assert.equal(error.timeout, 200);
      assert.equal(error.sent, 'maybe');
      assert.equal(error.remote, 'fake');
      assert.equal(error.request, 'GET /1.0');
      assertMentions(error.message, ['GET /1.0 to remote `fake`', 'within 200 ms']);
      assert.deepEqual(seen(server), ['GET /1.0']);
      assert.equal(transport.stats.retries, 0);
    },
  );

  it(
    'cancels a stalled request when its AbortSignal fires, and retries nothing',
    bounded,
    async () => {
      const server = await listening(inTurn(stall()));
      const transport = transportTo(server, { retries: 3 });
      const controller = new AbortController();

      const failed = rejection(
        // The headers timeout only keeps a broken abort from hanging the test.
        transport.request({
          ...get('/1.0'),
          signal: controller.signal,
          headersTimeout: 4_000,
        }),
        AbortError,
      );
      await server.waitForRequests(1);
      controller.abort();
      const error = await failed;

      assert.equal(error.code, 'LXDAPI_ABORTED');
      assert.equal(error.sent, 'maybe');
      assert.equal(error.remote, 'fake');
      assert.equal(error.request, 'GET /1.0');
      assertMentions(error.message, ['GET /1.0 to remote `fake` was aborted']);
      assert.deepEqual(seen(server), ['GET /1.0']);
      assert.equal(transport.stats.retries, 0);
    },
  );
});

describe('RemoteTransport connections', () => {
  it(
    'lets a chain that must not be resent reuse a socket the server closed after its answer',
    bounded,
    async () => {
      // Regression: the socket undici closed after a `connection: close` answer
      // made the next no-resend chain destroy its client and fail unsent requests.
      const server = await listening(
        inTurn(answer(200, '{"n":1}', { close: true }), answer(200, '{"n":2}')),
      );
      const transport = transportTo(server, { maxConnections: 1 });
      const first = await transport.request(get('/1.0'));
      assert.equal(await first.body.text(), '{"n":1}');

      const second = await transport.withConnection(
        async (connection) => (await connection.send(get('/1.0'))).body.text(),
        { resend: false },
      );
      assert.equal(second, '{"n":2}');
      assert.equal(server.requests.length, 2);
    },
  );

  it('pipelines the requests of a chain on one connection', bounded, async () => {
    // The first answer waits until the second request has arrived: only a pipelined
    // client can get both answers.
    const server = await listening(async (request) => {
      if (request.index > 0) return answer(200, '{"n":2}');
      try {
        await server.waitForRequests(2, 2_000);
        return answer(200, '{"n":1}');
      } catch {
        return answer(500, '{"error":"the second request came after the first answer"}');
      }
    });
    const transport = transportTo(server);

    const answers = await transport.withConnection(async (connection) => {
      const responses = await Promise.all([
        connection.send(get('/1.0')),
        connection.send(get('/1.0/instances/c1')),
      ]);
      return Promise.all(
        responses.map(async (response) => [
          response.statusCode,
          await response.body.text(),
        ]),
      );
    });

    assert.deepEqual(answers, [
      [200, '{"n":1}'],
      [200, '{"n":2}'],
    ]);
    assert.deepEqual(seen(server), ['GET /1.0', 'GET /1.0/instances/c1']);
    assert.deepEqual(
      server.requests.map((request) => request.connection),
      [1, 1],
    );
    assert.equal(server.connections, 1);
    assert.equal(transport.stats.connects, 1);
  });

  it(
    'sends a request made as soon as the last answer was read on the same connection',
    bounded,
    async () => {
      const server = await listening(
        inTurn(answer(200, '{"n":1}'), answer(200, '{"n":2}')),
      );
      const transport = transportTo(server);

      // Read to the end, then the next request at once, as connect() after
      // connect() does: no turn of the event loop between them.
      const one = await transport.request(get('/1.0/instances/c1'));
      const first: unknown = await one.body.json();
      const two = await transport.request(get('/1.0/instances/c2'));
      const second: unknown = await two.body.json();

      assert.deepEqual([first, second], [{ n: 1 }, { n: 2 }]);
      assert.equal(server.connections, 1);
      assert.equal(transport.stats.connects, 1);
    },
  );

  it('fails a request made after close() without sending it', bounded, async () => {
    const server = await listening(inTurn(answer(200)));
    const transport = transportTo(server, { retries: 3 });
    await (await transport.request(get('/1.0'))).body.text();
    await transport.close();

    const error = await rejection(
      transport.request(get('/1.0/instances')),
      ConnectionError,
    );

    assert.equal(error.code, 'LXDAPI_CONNECTION');
    assert.equal(error.sent, 'no');
    assert.equal(error.remote, 'fake');
    assert.equal(error.request, 'GET /1.0/instances');
    assertMentions(error.message, ['remote `fake` is closed', 'connect again']);
    assert.deepEqual(seen(server), ['GET /1.0']);
    assert.equal(transport.stats.retries, 0);
  });

  it(
    'makes a request wait for the one socket until the body before it is read',
    bounded,
    async () => {
      const server = await listening((request) => answer(200, `"${request.path}"`));
      const transport = transportTo(server, { maxConnections: 1 });

      const first = await transport.request(get('/a'));
      let secondDone = false;
      const second = transport.request(get('/b')).finally(() => {
        secondDone = true;
      });
      // Long enough for the second request to reach the server, were it not waiting.
      await sleep(100);
      assert.equal(secondDone, false);
      assert.deepEqual(seen(server), ['GET /a']);

      assert.equal(await first.body.text(), '"/a"');
      const response = await second;

      assert.equal(response.statusCode, 200);
      assert.equal(await response.body.text(), '"/b"');
      assert.deepEqual(seen(server), ['GET /a', 'GET /b']);
      assert.equal(server.connections, 1);
      assert.equal(transport.stats.connects, 1);
    },
  );

  it(
    'fails a request still waiting for a socket when the transport closes',
    bounded,
    async () => {
      const server = await listening((request) => answer(200, `"${request.path}"`));
      const transport = transportTo(server, { maxConnections: 1 });
      const first = await transport.request(get('/a'));

      const failed = rejection(transport.request(get('/b')), ConnectionError);
      const closed = transport.close();
      const error = await failed;

      assert.equal(error.code, 'LXDAPI_CONNECTION');
      assert.equal(error.sent, 'no');
      assert.equal(error.remote, 'fake');
      assert.equal(error.request, 'GET /b');
      assertMentions(error.message, ['remote `fake` is closed']);
      assert.equal(await first.body.text(), '"/a"');
      await closed;
      assert.deepEqual(seen(server), ['GET /a']);
    },
  );

  it(
    'fails a request waiting for a socket with an AbortError when aborted',
    bounded,
    async () => {
      const server = await listening((request) => answer(200, `"${request.path}"`));
      const transport = transportTo(server, { maxConnections: 1 });
      const first = await transport.request(get('/a'));

      const waiting = new AbortController();
      const failed = rejection(
        transport.request({ ...get('/b'), signal: waiting.signal }),
        AbortError,
      );
      waiting.abort();
      const already = await rejection(
        transport.request({ ...get('/c'), signal: AbortSignal.abort() }),
        AbortError,
      );

      for (const [error, request] of [
        [await failed, 'GET /b'],
        [already, 'GET /c'],
      ] as const) {
        assert.equal(error.code, 'LXDAPI_ABORTED');
        assert.equal(error.sent, 'no');
        assert.equal(error.remote, 'fake');
        assert.equal(error.request, request);
        assertMentions(error.message, ['Waiting for a connection to `fake` was aborted']);
      }
      assert.equal(await first.body.text(), '"/a"');
      assert.deepEqual(seen(server), ['GET /a']);
    },
  );
});

/** A fake server that listens already; closed after the test. */
async function listening(script: Script): Promise<FakeHttpServer> {
  const server = fakeServer(script);
  await server.listen();
  return server;
}

function get(path: string): HttpRequest {
  return { method: 'GET', path };
}

function post(path: string): HttpRequest {
  return {
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json' },
    body: '{}',
  };
}

/** Awaits `promise`, asserting it rejects with a `type`, and returns that error. */
async function rejection<T extends Error>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => T,
): Promise<T> {
  try {
    await promise;
  } catch (error) {
    const kind = error instanceof Error ? error.constructor.name : typeof error;
    assert.ok(
      error instanceof type,
      `expected a ${type.name}, got a ${kind}: ${String(error)}`,
    );
    return error;
  }
  assert.fail(`expected a ${type.name}, but it resolved`);
}
