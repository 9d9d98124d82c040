// The sandbox's two-member clusters as the tests see them: their description, the
// client against their remote, and stopping and starting the second member.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

import { execa } from 'execa';

import { settleCluster, startMember } from '../../sandbox/cluster.js';
import { clusterOf } from '../../sandbox/clusters.js';
import type {
  ClusterDescription,
  ClusterMemberDescription,
  SandboxDescription,
} from '../../sandbox/description.js';
import { incus, lxd } from '../../sandbox/servers.js';
import { sandbox } from './sandbox.js';

/** The sandbox's clusters, LXD first, failing loudly when the sandbox has none. */
export function sandboxClusters(): ClusterDescription[] {
  // A description written before the sandbox had clusters has none.
  const described: Partial<SandboxDescription> = sandbox();
  const clusters = Object.values(described.clusters ?? {});
  if (clusters.length !== 2) {
    throw new Error(
      `The sandbox describes ${clusters.length} clusters, expected an LXD and an ` +
        'Incus one; run `npm run sandbox` (as root).',
    );
  }
  return clusters;
}

/** Runs the kind's client against the cluster's remote, in the sandbox's config. */
export async function clusterClient(
  cluster: ClusterDescription,
  args: readonly string[],
): Promise<string> {
  const result = await execa(cluster.client, args, {
    env: { [cluster.confVariable]: cluster.confDir },
    stdin: 'ignore',
  });
  return result.stdout;
}

/** Launches a busybox container of the cluster's on a given member. */
export async function launchOn(
  cluster: ClusterDescription,
  name: string,
  member: ClusterMemberDescription,
): Promise<void> {
  const image = `${cluster.remote}:${cluster.image}`;
  await clusterClient(cluster, [
    'launch',
    image,
    `${cluster.remote}:${name}`,
    '--target',
    member.name,
  ]);
}

/** Deletes a container of the cluster, if it exists. */
export async function deleteFrom(cluster: ClusterDescription, name: string) {
  await clusterClient(cluster, ['delete', '--force', `${cluster.remote}:${name}`]).catch(
    () => undefined,
  );
}

/**
 * Stops a member's daemon with SIGTERM, which leaves its containers running, and
 * waits until the process is gone. Only the daemon the sandbox started, by the id
 * it wrote, after checking that this process serves that member's folder.
 */
export async function stopMember(
  cluster: ClusterDescription,
  member: ClusterMemberDescription,
): Promise<void> {
  const pid = Number.parseInt(readFileSync(member.pidFile, 'utf8'), 10);
  const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  if (!environ.includes(`${cluster.dirVariable}=${member.dir}`)) {
    throw new Error(
      `process ${pid} of ${member.pidFile} is not the daemon of ${member.name}; ` +
        'run `npm run sandbox` again.',
    );
  }
  process.kill(pid, 'SIGTERM');
  for (let waited = 0; alive(pid); waited += 50) {
    if (waited > 30_000) throw new Error(`${member.name} (pid ${pid}) did not stop`);
    await sleep(50);
  }
}

/** Starts a member's daemon again as the sandbox does, and waits until all is well. */
export async function restartMember(
  cluster: ClusterDescription,
  member: ClusterMemberDescription,
): Promise<void> {
  const kind = clusterOf(cluster.kind === 'lxd' ? lxd : incus);
  const data = kind.members.find((each) => each.name === member.name);
  if (data === undefined) throw new Error(`no member ${member.name} in the sandbox`);
  await startMember(kind, data);
  await settleCluster(kind, cluster.adminConf);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
