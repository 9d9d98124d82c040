// Connections under faults, against the sandbox's real LXD and Incus: refused and
// broken connections, a server that closes idle kept-alive sockets, and timeouts at
// every stage (connect, headers, body, the command itself), each ending in a typed
// error and leaving no socket, timer or file behind. TCP-level faults come from
// fault-tcp-proxy.ts (TLS passes through it), HTTP-level ones from fault-proxy.ts.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';

import type { ServerDescription } from '../../sandbox/description.js';
import { FileError } from '../../src/host/file-errors.js';
import { connect } from '../../src/host/connect.js';
import { CommandFailedError, CommandInterruptedError } from '../../src/host/errors.js';
import { RemoteRegistry } from '../../src/host/remote-registry.js';
import { TimeoutError } from '../../src/transport/errors.js';
import type { TransportOptions } from '../../src/transport/transport.js';
import { faultBench } from '../helpers/fault-setup.js';
import { FaultTcpProxy } from '../helpers/fault-tcp-proxy.js';
import { activeResources, settledResources } from '../helpers/leaks.js';
import { proxiedConfig } from '../helpers/proxied-config.js';
import { leftoverOutputFiles, removeOrphanedOutput } from '../helpers/residue.js';
import { sandboxEnv, sandboxServers } from '../helpers/sandbox.js';
import { scratchDir } from '../helpers/scratch.js';

for (const server of sandboxServers()) {
  const instance = server.instances[0] ?? 'web-1';

  describe(`TCP-level faults on ${server.title}`, () => {
    test('a refused connection is retried, and connect() works once the server listens', async () => {
      await withTcpProxy(server, {}, async ({ proxy, connectTo, remotes }) => {
        await proxy.refuse();
        const back = setTimeout(() => void proxy.listen(), 120);
        try {
          const host = await connectTo();
          assert.equal((await host.run('echo up')).stdout, 'up');
          assert.ok(host.api.transport.stats.retries >= 1, 'no retry was counted');
        } finally {
          clearTimeout(back);
          await remotes.close();
        }
      });
    });

    test('a connection closed before any byte is retried on a new one', async () => {
      await withTcpProxy(server, {}, async ({ proxy, connectTo }) => {
        proxy.inject(1, { kind: 'close' });
        const host = await connectTo();
        assert.equal((await host.run('echo up')).stdout, 'up');
        assert.equal(proxy.accepted, 2);
      });
    });

    test('an answer cut in the middle of connect() is read again on a new connection', async () => {
      await withTcpProxy(server, {}, async ({ proxy, connectTo }) => {
        // Past the TLS handshake, inside the answers to GET /1.0 and the instance.
        proxy.inject(1, { kind: 'cut', at: 6000 });
        const host = await connectTo();
        assert.equal(host.name, instance);
        assert.equal(proxy.accepted, 2);
      });
    });

    test('the exec POST reached the server and the answer never came: ran once, and the error says it may have', async () => {
      await withTcpProxy(server, {}, async ({ proxy, connectTo }) => {
        // Turn 1: ClientHello; 2: Finished and the probe's GETs; 3: the exec POST.
        proxy.inject(1, { kind: 'close-before-answer', turn: 3 });
        const host = await connectTo();
        const bench = await faultBench(server, instance);
        try {
          const counter = bench.counter();
          const before = new Set(await leftoverOutputFiles(bench.direct));
          const marker = `orphan-${process.pid}-${Date.now()}`;
          const error = await host
            .run(`${counter.append}; echo ${marker}`)
            .catch((e: unknown) => e);
          assert.ok(error instanceof CommandInterruptedError, String(error));
          assert.equal(error.ran, 'maybe');
          await new Promise((resolve) => setTimeout(resolve, 300));
          assert.equal(await counter.count(), 1);
          // The client never learned the operation, so its files stay (a stated
          // limitation): the test removes them.
          assert.equal(await removeOrphanedOutput(bench.direct, before, marker), 2);
        } finally {
          await bench.close();
        }
      });
    });

    test('a connection that never completes TLS ends in a connect TimeoutError, no socket left', async () => {
      const baseline = activeResources();
      await withTcpProxy(
        server,
        { connectTimeout: 300 },
        async ({ proxy, connectTo }) => {
          proxy.inject(1, { kind: 'stall' });
          const error = await connectTo().catch((e: unknown) => e);
          assert.ok(error instanceof TimeoutError, String(error));
          assert.equal(error.stage, 'connect');
          assert.equal(error.sent, 'no');
          assert.match(error.message, /timed out after 300 ms/);
        },
      );
      assert.deepEqual(await settledResources(baseline), baseline);
    });
  });

  describe(`HTTP-level faults and timeouts on ${server.title}`, () => {
    test('stale keep-alive: the server closed the idle socket, and the next command works, once', async () => {
      const bench = await faultBench(server, instance);
      try {
        await bench.host.run('true');
        const before = bench.proxy.connections;
        assert.ok((await bench.proxy.closeIdle()) >= 1, 'no idle connection to close');
        const counter = bench.counter();
        const result = await bench.host.run(counter.append);
        assert.equal(result.exitCode, 0);
        assert.equal(await counter.count(), 1);
        assert.equal(bench.proxy.connections, before + 1);
      } finally {
        await bench.close();
      }
    });

    test('answer headers that come too late end in a headers TimeoutError, no socket left', async () => {
      const baseline = activeResources();
      const bench = await faultBench(server, instance, { headersTimeout: 300 });
      try {
        bench.proxy.inject({
          method: 'GET',
          path: `/1.0/instances/${instance}?`,
          fault: { kind: 'delay', ms: 1500 },
        });
        const error = await bench.host.api.instance(instance).catch((e: unknown) => e);
        assert.ok(error instanceof TimeoutError, String(error));
        assert.equal(error.stage, 'headers');
        assert.equal(error.timeout, 300);
      } finally {
        await bench.close();
      }
      assert.deepEqual(await settledResources(baseline), baseline);
    });

    test('a body that stalls ends in a typed error after the body timeout; no file, socket or timer left', async () => {
      const baseline = activeResources();
      const bench = await faultBench(server, instance, { bodyTimeout: 300 });
      const folder = scratchDir('fault-body-');
      try {
        const path = `/tmp/lxd-api-fault-body-${process.pid}`;
        await bench.direct.putFile(Buffer.alloc(64 * 1024, 7), path);
        bench.proxy.inject({
          method: 'GET',
          path: 'files?path=',
          fault: { kind: 'stall-body' },
        });
        const error = await bench.host
          .getFile(path, join(folder, 'copy'))
          .catch((e: unknown) => e);
        assert.ok(error instanceof FileError, String(error));
        assert.ok(error.cause instanceof TimeoutError, String(error.cause));
        assert.equal(error.cause.stage, 'body');
        assert.deepEqual(readdirSync(folder), []);
        await bench.direct.remove(path);
      } finally {
        await bench.close();
      }
      assert.deepEqual(await settledResources(baseline), baseline);
    });

    test('a command past its timeout is killed and says so; no socket or timer left', async () => {
      const baseline = activeResources();
      const bench = await faultBench(server, instance);
      try {
        const error = await bench.host
          .run('sleep 5', { timeout: 300 })
          .catch((e: unknown) => e);
        assert.ok(error instanceof CommandFailedError, String(error));
        assert.equal(error.code, 'LXDAPI_COMMAND_TIMEOUT');
        assert.equal(error.timedOut, true);
      } finally {
        await bench.close();
      }
      assert.deepEqual(await settledResources(baseline), baseline);
    });
  });

  async function withTcpProxy(
    server: ServerDescription,
    transport: TransportOptions,
    body: (context: {
      proxy: FaultTcpProxy;
      remotes: RemoteRegistry;
      connectTo: () => ReturnType<typeof connect>;
    }) => Promise<void>,
  ): Promise<void> {
    const proxy = await FaultTcpProxy.start(server.httpsAddress);
    const confDir = await proxiedConfig(server, proxy.port);
    const remotes = new RemoteRegistry(transport);
    const env = { ...sandboxEnv(), [server.confVariable]: confDir };
    try {
      await body({
        proxy,
        remotes,
        connectTo: () => connect(`${server.remotes.https}:${instance}`, { env, remotes }),
      });
    } finally {
      await remotes.close();
      await proxy.close();
    }
  }
}
