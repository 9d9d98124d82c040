// Clusters, against the sandbox's real two-member LXD and Incus clusters: each
// instance's requests go straight to the member that hosts it, over that member's
// own transport, or through the remote's address when routing is `forwarded` or
// the member cannot be reached; instances that move are followed; a member that
// stops mid-run costs only the instances that live on it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { ApiError } from '../../src/api/errors.js';
import { Fleet } from '../../src/fleet/fleet.js';
import { connect } from '../../src/host/connect.js';
import type { Host } from '../../src/host/host.js';
import { routeChannelName, type RouteEvent } from '../../src/host/instance-route.js';
import { RemoteRegistry } from '../../src/host/remote-registry.js';
import type { ClusterDescription } from '../../sandbox/description.js';
import {
  deleteFrom,
  launchOn,
  restartMember,
  sandboxClusters,
  stopMember,
} from '../helpers/cluster.js';
import { assertLiveOutput } from '../helpers/live-output.js';
import { writeProxiedRemote } from '../helpers/proxied-remote.js';
import { sandboxEnv } from '../helpers/sandbox.js';
import { TurnCountingProxy } from '../helpers/turn-counting-proxy.js';

const env = sandboxEnv();

// The two clusters are independent of each other: their tests run side by side.
describe('clusters', { concurrency: true }, () => {
  for (const cluster of sandboxClusters()) {
    const [first, second] = cluster.members;
    const spec = (name: string) => `${cluster.remote}:${name}`;

    // Its own tests one after the other: they stop and move things.
    describe(`the ${cluster.title} cluster`, { concurrency: 1 }, () => {
      let scratch = '';
      before(async () => {
        scratch = await mkdtemp(join(tmpdir(), 'lxd-api-cluster-'));
      });
      after(() => rm(scratch, { recursive: true, force: true }));

      test('learns the members in the cold probe and routes each instance to its own', async () => {
        const remotes = new RemoteRegistry();
        try {
          const hosts = await Promise.all(
            cluster.members.map((member) =>
              connect(spec(member.container), { env, remotes }),
            ),
          );
          for (const [index, host] of hosts.entries()) {
            const member = cluster.members[index];
            assert.ok(member !== undefined);
            const route = host.route;
            assert.ok(route !== undefined);
            assert.equal(host.facts.clustered, true);
            assert.equal(route.member, member.name);
            assert.equal(route.memberUrl, member.url);
            assert.equal(route.direct, true);
            const { stdout } = await host.run('hostname');
            assert.equal(stdout, member.container);
          }
          // The remote is the first member: its instances share the remote's own
          // transport, and the second member has one of its own.
          const counts = await requestCounts(remotes, hosts[0], async () => {
            await hosts[1]?.run('true');
          });
          assert.equal(counts.remote, 0);
          assert.ok((counts.members[second.url] ?? 0) >= 2, JSON.stringify(counts));
          await Promise.all(hosts.map((host) => host.disconnect()));
        } finally {
          await remotes.close();
        }
      });

      test('a cold connect costs three round trips; another member, two more once', async () => {
        // A counting proxy in front of each member, and the registry reaching the
        // members at their proxies: every byte of ours passes one of them.
        const proxies = await Promise.all(
          cluster.members.map((member) =>
            TurnCountingProxy.start(new URL(member.url).host),
          ),
        );
        const [nearFirst, nearSecond] = proxies as [TurnCountingProxy, TurnCountingProxy];
        const byUrl = new Map([
          [first.url, `https://127.0.0.1:${nearFirst.port}`],
          [second.url, `https://127.0.0.1:${nearSecond.port}`],
        ]);
        const dir = join(scratch, 'proxied');
        const proxied = await writeProxiedRemote(
          cluster.confDir,
          cluster.remote,
          dir,
          nearFirst.port,
        );
        const remotes = new RemoteRegistry({
          memberAddress: (_member, url) => byUrl.get(url),
        });
        try {
          const host = await connect(`${proxied}:${second.container}`, {
            env: { ...env, [cluster.confVariable]: dir },
            remotes,
          });
          // TCP, then the ClientHello, then TLS Finished with GET /1.0, the
          // instance and the members pipelined behind it.
          assert.deepEqual(nearFirst.counts, { connections: 1, clientTurns: 2 });
          assert.deepEqual(nearSecond.counts, { connections: 0, clientTurns: 0 });
          assert.equal(host.route?.member, second.name);

          await host.run('true');
          // The member's own socket: TCP and the ClientHello, then the POST behind
          // the TLS Finished, then the batch: two round trips more than warm.
          assert.deepEqual(nearSecond.counts, { connections: 1, clientTurns: 3 });
          nearSecond.reset();
          await host.run('true');
          assert.deepEqual(nearSecond.counts, { connections: 0, clientTurns: 2 });
          assert.deepEqual(nearFirst.counts, { connections: 1, clientTurns: 2 });
          await host.disconnect();
        } finally {
          await remotes.close();
          await Promise.all(proxies.map((proxy) => proxy.close()));
        }
      });

      for (const routing of ['direct', 'forwarded'] as const) {
        test(`runs commands, moves files and streams output on both members, ${routing}`, async () => {
          const remotes = new RemoteRegistry({ routing });
          try {
            for (const member of cluster.members) {
              const host = await connect(spec(member.container), { env, remotes });
              assert.equal(host.route?.direct, routing === 'direct');
              const counts = await requestCounts(remotes, host, () =>
                exerciseHost(host, member.container, scratch),
              );
              const viaMember = counts.members[second.url] ?? 0;
              if (routing === 'direct' && member === second) {
                assert.equal(counts.remote, 0, JSON.stringify(counts));
                assert.ok(viaMember > 10, JSON.stringify(counts));
              } else {
                assert.equal(viaMember, 0, JSON.stringify(counts));
                assert.ok(counts.remote > 10, JSON.stringify(counts));
              }
              await host.disconnect();
            }
          } finally {
            await remotes.close();
          }
        });
      }

      test('spreads a fan-out over the members, each instance on its own member', async () => {
        const remotes = new RemoteRegistry();
        const fleet = new Fleet({ env, remotes });
        try {
          const { members } = await fleet.select([`${cluster.remote}:cl-*`]);
          assert.deepEqual(
            members.map((member) => member.instance.location),
            cluster.members.map((member) => member.name),
          );
          const connection = remotes.acquire(members[0]?.remote ?? assert.fail('none'));
          const before = connection.transport.stats.requests;
          const results = await fleet.exec(members, 'hostname');
          assert.deepEqual(
            results.map((each) => each.value?.stdout),
            cluster.members.map((member) => member.container),
          );
          // The second member's instance went to its own member's pool; the
          // first's, to the remote's (the first member's) own.
          const viaSecond = connection.memberTransports.get(second.url);
          assert.ok((viaSecond?.stats.requests ?? 0) >= 7);
          assert.ok(connection.transport.stats.requests - before >= 7);
          await connection.release();
        } finally {
          await fleet.close();
          await remotes.close();
        }
      });

      test('follows an instance deleted and made again on the other member', async () => {
        const name = `move-${randomBytes(3).toString('hex')}`;
        const remotes = new RemoteRegistry();
        const events = listen(cluster.remote);
        try {
          await launchOn(cluster, name, second);
          const host = await connect(spec(name), { env, remotes });
          assert.equal(host.route?.member, second.name);
          await host.run('true');

          await deleteFrom(cluster, name);
          await launchOn(cluster, name, first);
          // The old member forwards this one, and its answer names the new member.
          assert.equal((await host.run('hostname')).stdout, name);
          assert.equal(host.route.member, first.name);
          assert.deepEqual(
            events.seen.map((event) => [event.kind, event.member]),
            [['moved', first.name]],
          );

          const counts = await requestCounts(remotes, host, async () => {
            await host.putFile({ text: 'here\n' }, '/tmp/moved');
            assert.equal((await host.run('cat /tmp/moved')).stdout, 'here');
          });
          assert.equal(counts.members[second.url] ?? 0, 0, JSON.stringify(counts));
          assert.ok(counts.remote > 0);
          await host.disconnect();
        } finally {
          events.stop();
          await remotes.close();
          await deleteFrom(cluster, name);
        }
      });

      test('keeps working when the second member stops mid-run, and goes direct again', async () => {
        const moved = `moved-${randomBytes(3).toString('hex')}`;
        // Passed over for no time: each request tries the member again first.
        const remotes = new RemoteRegistry({ memberRetryDelay: 0 });
        const events = listen(cluster.remote);
        const state = { stopped: false };
        try {
          const onFirst = await connect(spec(first.container), { env, remotes });
          const onSecond = await connect(spec(second.container), { env, remotes });
          // Connected while on the second member, then moved away unnoticed.
          await launchOn(cluster, moved, second);
          const away = await connect(spec(moved), { env, remotes });
          await deleteFrom(cluster, moved);
          await launchOn(cluster, moved, first);
          assert.equal(away.route?.member, second.name);

          // Output streams from the first member while the second goes down.
          const flag = `/tmp/.cluster-flag-${randomBytes(3).toString('hex')}`;
          const chunks: Buffer[] = [];
          let stopping: Promise<void> | undefined;
          const streamed = onFirst.run(
            `echo before; i=0; while [ ! -e ${flag} ] && [ $i -lt 400 ]; do sleep 0.05; ` +
              `i=$((i+1)); done; rm -f ${flag}; echo after`,
            {
              onStdout: (chunk) => {
                chunks.push(chunk);
                if (
                  stopping === undefined &&
                  Buffer.concat(chunks).includes('before\n')
                ) {
                  stopping = stopMember(cluster, second).then(async () => {
                    state.stopped = true;
                    await onFirst.run(['touch', flag]);
                  });
                }
              },
            },
          );
          assert.equal((await streamed).stdout, 'before\nafter');
          await stopping;
          assert.equal(state.stopped, true);

          // The moved instance is reached through the remote's address, which hosts
          // it now, and then straight at its new member.
          assert.equal((await away.run('hostname')).stdout, moved);
          await away.route.refresh();
          assert.equal(away.route.member, first.name);
          const fallbacks = events.seen.filter((event) => event.kind === 'fallback');
          assert.deepEqual(
            fallbacks.map((event) => [event.instance, event.member]),
            [[moved, second.name]],
          );
          assert.match(fallbacks[0]?.message ?? '', new RegExp(second.url));

          // The instance on the stopped member cannot be reached at all: the remote's
          // address forwards, and its server gives up on the member (about 10 s). Its
          // words vary: "Missing event connection with target cluster member" most
          // often, "Server isn't ready yet" from an Incus member still settling.
          await assert.rejects(onSecond.run('true'), (error: unknown) => {
            assert.ok(error instanceof ApiError, String(error));
            assert.equal(error.status, 500);
            assert.match(error.serverMessage, /cluster member|isn't ready/);
            return true;
          });
          assert.equal(
            events.seen.filter((event) => event.kind === 'fallback').length,
            2,
          );

          await restartMember(cluster, second);
          state.stopped = false;
          const counts = await requestCounts(remotes, onFirst, async () => {
            assert.equal((await onSecond.run('hostname')).stdout, second.container);
          });
          assert.equal(counts.remote, 0, JSON.stringify(counts));
          assert.ok((counts.members[second.url] ?? 0) > 0, JSON.stringify(counts));
          await Promise.all([onFirst, onSecond, away].map((host) => host.disconnect()));
        } finally {
          events.stop();
          await remotes.close();
          // The cluster is left as the sandbox made it, whatever failed above.
          if (state.stopped || (await memberDown(cluster)))
            await restartMember(cluster, second);
          await deleteFrom(cluster, moved);
        }
      });
    });
  }
});

// A command with its exit code and both streams, a file up and back, and live
// output that must arrive while the command still runs.
async function exerciseHost(host: Host, name: string, scratch: string): Promise<void> {
  const result = await host.run('hostname; echo oops >&2; exit 3', { reject: false });
  assert.deepEqual([result.stdout, result.stderr, result.exitCode], [name, 'oops', 3]);

  const path = `/tmp/cluster-${randomBytes(3).toString('hex')}`;
  const bytes = randomBytes(4096);
  await host.putFile(bytes, path, { mode: 0o640 });
  const local = join(scratch, `${name}-${host.route?.direct === true ? 'd' : 'f'}`);
  const got = await host.getFile(path, local);
  assert.equal(got.mode, 0o640);
  assert.deepEqual(await readFile(local), bytes);
  await host.remove(path);

  await assertLiveOutput(host);
}

// Requests that `work` sent: on the remote's own transport, and on each member's
// (by URL), from the transports' own counters.
async function requestCounts(
  remotes: RemoteRegistry,
  host: Host | undefined,
  work: () => Promise<void>,
): Promise<{ remote: number; members: Record<string, number> }> {
  assert.ok(host !== undefined);
  const connection = remotes.acquire(host.remote);
  try {
    const read = () => ({
      remote: connection.transport.stats.requests,
      members: Object.fromEntries(
        [...connection.memberTransports].map(([url, each]) => [url, each.stats.requests]),
      ),
    });
    const before = read();
    await work();
    const now = read();
    return {
      remote: now.remote - before.remote,
      members: Object.fromEntries(
        Object.entries(now.members).map(([url, count]) => [
          url,
          count - (before.members[url] ?? 0),
        ]),
      ),
    };
  } finally {
    await connection.release();
  }
}

// Route events of one remote: the other cluster's tests publish on the same channel.
function listen(remote: string): { seen: RouteEvent[]; stop: () => void } {
  const seen: RouteEvent[] = [];
  const listener = (message: unknown) => {
    const event = message as RouteEvent;
    if (event.remote === remote) seen.push(event);
  };
  subscribe(routeChannelName, listener);
  return { seen, stop: () => unsubscribe(routeChannelName, listener) };
}

async function memberDown(cluster: ClusterDescription): Promise<boolean> {
  const { answers } = await import('../../sandbox/daemon.js');
  return !(await answers(cluster.members[1].socket));
}
