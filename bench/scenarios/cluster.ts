// Clusters: an instance on the second member of the sandbox's LXD and Incus
// clusters, reached straight at its member or through the remote's address (the
// first member), which forwards every request. Each member sits behind a delay
// proxy of its own, so the client is far from both while the members stay close
// to each other, as in a data centre; the registry reaches the members at their
// proxies instead of the URLs the cluster gives.
import { join } from 'node:path';
import { Writable } from 'node:stream';

import type { ClusterDescription } from '../../sandbox/description.js';
import { connect } from '../../src/host/connect.js';
import { RemoteRegistry } from '../../src/host/remote-registry.js';
import { TurnCountingProxy } from '../../test/helpers/turn-counting-proxy.js';
import { measure } from '../measure.js';
import type { Measurement, ScenarioId } from '../results.js';
import { writeProxiedRemote } from '../../test/helpers/proxied-remote.js';

/** How the instance's requests went. */
export type Routing = 'direct' | 'forwarded';

/**
 * Measures exec `true` and a put and a get of 100 bytes on the second member's
 * container, direct and forwarded, at each round-trip time; `runs` of each.
 */
export async function measureCluster(
  cluster: ClusterDescription,
  root: string,
  rtts: readonly number[],
  runs: number,
): Promise<Measurement[]> {
  const [first, second] = cluster.members;
  const proxies = await Promise.all(
    cluster.members.map((member) => TurnCountingProxy.start(new URL(member.url).host)),
  );
  const [nearFirst, nearSecond] = proxies as [TurnCountingProxy, TurnCountingProxy];
  const byUrl = new Map([
    [first.url, `https://127.0.0.1:${nearFirst.port}`],
    [second.url, `https://127.0.0.1:${nearSecond.port}`],
  ]);
  const dir = join(root, `${cluster.client}-cluster`);
  const remote = await writeProxiedRemote(
    cluster.confDir,
    cluster.remote,
    dir,
    nearFirst.port,
  );
  const env = { [cluster.confVariable]: dir, HOME: '/nonexistent' };
  const measured: Measurement[] = [];
  try {
    for (const routing of ['direct', 'forwarded'] as const) {
      const remotes = new RemoteRegistry({
        routing,
        memberAddress: (_member, url) => byUrl.get(url),
      });
      const host = await connect(`${remote}:${second.container}`, {
        env,
        remotes,
      });
      // Direct, the second member's proxy carries the traffic; forwarded, the first's.
      const proxy = routing === 'direct' ? nearSecond : nearFirst;
      const stats = () => host.api.transport.stats;
      const path = '/tmp/lxd-api-bench-cluster';
      const bytes = Buffer.alloc(100, 'x');
      const operations: [ScenarioId, () => Promise<void>][] = [
        [
          'exec-true',
          async () => {
            await host.run('true');
          },
        ],
        [
          'put-small',
          async () => {
            await host.putFile(bytes, path);
          },
        ],
        [
          'get-small',
          async () => {
            const got = await host.getFile(path, discard());
            if (got.size !== bytes.length) throw new Error(`got ${got.size} bytes`);
          },
        ],
      ];
      try {
        for (const rtt of rtts) {
          for (const each of proxies) each.oneWayDelay = rtt / 2;
          for (const [scenario, run] of operations) {
            const subject = {
              scenario,
              tool: 'lxd-api' as const,
              server: cluster.kind,
              rttMs: rtt,
            };
            const result = await measure(subject, proxy, { run, stats }, runs);
            measured.push({ ...result, note: routing });
          }
        }
      } finally {
        await host.remove(path, { force: true }).catch(() => undefined);
        await host.disconnect();
        await remotes.close();
      }
    }
  } finally {
    await Promise.all(proxies.map((each) => each.close()));
  }
  return measured;
}

// Output nobody reads: the get's bytes are counted by its result.
function discard(): Writable {
  return new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  });
}
