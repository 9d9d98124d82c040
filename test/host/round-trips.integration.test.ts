// Round trips of connect() and run() against the sandbox's real LXD and Incus,
// counted by a proxy between the client and the server: connections it accepts and
// the client's turns, each of which is one round trip (see turn-counting-proxy.ts).
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { afterEach, beforeEach, describe, test } from 'node:test';

import type { ServerDescription } from '../../sandbox/description.js';
import { connect } from '../../src/host/connect.js';
import { RemoteRegistry } from '../../src/host/remote-registry.js';
import { getJson, sandboxEnv, sandboxServers, socketAgent } from '../helpers/sandbox.js';
import { proxiedConfig } from '../helpers/proxied-config.js';
import { TurnCountingProxy, type TurnCounts } from '../helpers/turn-counting-proxy.js';

for (const server of sandboxServers()) {
  const [first, second] = server.instances as [string, string];

  describe(`round trips to ${server.title}, counted by a proxy`, () => {
    let proxy: TurnCountingProxy;
    let confDir: string;
    let remotes: RemoteRegistry;
    let connectTo: (instance: string) => ReturnType<typeof connect>;

    // A proxy and a registry of its own for each test: nothing left over from one
    // test, such as a closing connection's last bytes, can reach another's counts.
    beforeEach(async () => {
      proxy = await TurnCountingProxy.start(server.httpsAddress);
      confDir = await proxiedConfig(server, proxy.port);
      remotes = new RemoteRegistry();
      const env = { ...sandboxEnv(), [server.confVariable]: confDir };
      connectTo = (instance) =>
        connect(`${server.remotes.https}:${instance}`, { env, remotes });
    });
    afterEach(async () => {
      await remotes.close();
      await proxy.close();
      await rm(confDir, { recursive: true, force: true });
    });

    test('a cold connect() costs one connection and two turns, three round trips with TCP', async () => {
      const host = await connectTo(first);

      assert.equal(host.name, first);
      // The ClientHello; then the TLS Finished with both pipelined GETs behind it.
      assertCounts(proxy, { connections: 1, clientTurns: 2 });
    });

    test('a second connect() to the same remote costs one turn on the open connection', async () => {
      await connectTo(first);
      proxy.reset();

      const host = await connectTo(second);

      assert.equal(host.name, second);
      assertCounts(proxy, { connections: 0, clientTurns: 1 });
    });

    test('run() on a warm remote costs two turns and leaves no output file', async () => {
      const host = await connectTo(first);
      proxy.reset();

      const result = await host.run('true');

      assert.equal(result.exitCode, 0);
      // The exec POST; then the wait, the reads and the deletes in one batch.
      assertCounts(proxy, { connections: 0, clientTurns: 2 });
      assert.deepEqual(await outputFilesOf(server, first, result.operation), []);
    });

    test('run() with input costs two turns as well, and the command reads all of it', async () => {
      const host = await connectTo(first);
      proxy.reset();
      const input = 'x'.repeat(4096);

      const result = await host.run('cat', { input });

      assert.equal(result.stdout, input);
      // The upload and the exec POST together; then the batch.
      assertCounts(proxy, { connections: 0, clientTurns: 2 });
      assert.deepEqual(await outputFilesOf(server, first, result.operation), []);
    });
  });
}

/** Asserts the counts; a failure shows the flights that led to them. */
function assertCounts(proxy: TurnCountingProxy, expected: TurnCounts): void {
  const { counts } = proxy;
  assert.deepEqual(
    counts,
    expected,
    `counted ${JSON.stringify(counts)}, expected ${JSON.stringify(expected)}; ` +
      `flights since the reset:\n${proxy.transcript}`,
  );
}

/**
 * A copy of the server's client configuration whose HTTPS remote goes through the
 * proxy. The pinned certificate is checked by fingerprint, so it still matches.
 */

/**
 * The output files of one operation still in the instance's logs, read over the
 * unix socket, not through the proxy. LXD 5.0 keeps them among the logs, Incus in
 * `logs/exec-output`, which is missing (404) until a first command records output.
 */
async function outputFilesOf(
  server: ServerDescription,
  instance: string,
  operation: string,
): Promise<string[]> {
  const folder = server.kind === 'lxd' ? 'logs' : 'logs/exec-output';
  const path = `/1.0/instances/${instance}/${folder}?project=${server.project}`;
  const agent = socketAgent(server);
  try {
    const { status, body } = await getJson(agent, 'http://localhost', path);
    if (status === 404) return [];
    assert.equal(status, 200, `GET ${path} answered ${status}`);
    const files = body.metadata as string[];
    // Other test files may run commands on the same instance meanwhile: only this
    // operation's files are this test's business.
    return files.filter((file) => file.includes(`exec_${operation}`));
  } finally {
    await agent.close();
  }
}
