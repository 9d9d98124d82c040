import { mkdir, readFile, rm, rmdir } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

import { stringify } from 'yaml';

import { csvNames, type Client } from './client.js';
import {
  clusterBase,
  memberDaemon,
  type ClusterKind,
  type ClusterMember,
} from './clusters.js';
import { answers, startDaemon } from './daemon.js';
import { importImage } from './import-image.js';
import { imageAliases } from './layout.js';
import { say, SandboxError } from './log.js';
import { run } from './run.js';
import type { ImageBuilds } from './server.js';

/**
 * Brings one kind's two-member cluster to the wanted state, doing only what is
 * missing: both members' daemons running (the founder first: it holds the only
 * vote), the cluster founded and joined, the busybox image, and one running
 * container on each member.
 */
export async function ensureCluster(
  cluster: ClusterKind,
  adminConf: string,
  images: ImageBuilds,
): Promise<void> {
  const [first, second] = cluster.members;
  await mkdir(clusterBase, { recursive: true, mode: 0o711 });
  const admin = memberClient(cluster, first, adminConf);

  await startMember(cluster, first);
  if (!(await isClustered(admin))) await found(cluster, admin, first);

  await startMember(cluster, second);
  const joined = memberClient(cluster, second, adminConf);
  if (!(await isClustered(joined))) await join(cluster, admin, joined, second);

  const aliases = csvNames(await admin(['image', 'alias', 'list', '--format', 'csv']));
  if (!aliases.has(imageAliases.busybox)) {
    await importImage(
      cluster.kind,
      admin,
      cluster.project,
      imageAliases.busybox,
      await images.busybox(),
    );
  }
  await settleCluster(cluster, adminConf);
}

/**
 * Waits until the founder sees every member online and each member's instances in
 * a known state (a member that has just started is "not ready yet", and shows its
 * instances in ERROR for a moment), then starts or makes the containers that are
 * not running on their members.
 */
export async function settleCluster(cluster: ClusterKind, adminConf: string) {
  const [first] = cluster.members;
  const admin = memberClient(cluster, first, adminConf);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const why = await unsettled(admin);
    if (why === undefined) break;
    if (Date.now() > deadline) {
      throw new SandboxError(`the ${cluster.kind.title} cluster did not settle: ${why}`);
    }
    await sleep(250);
  }
  await ensureContainers(cluster, admin);
}

// A member that has just started answers its own socket and shows online, yet for
// a few seconds more refuses instance operations sent through another member
// ("Server isn't ready yet", seen with Incus 6.0): those are tried again.
async function whenReady<T>(operation: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return await operation();
    } catch (error) {
      const notReady = error instanceof Error && /isn't ready yet/.test(error.message);
      if (!notReady || Date.now() > deadline) throw error;
      await sleep(250);
    }
  }
}

async function unsettled(admin: Client): Promise<string | undefined> {
  try {
    const members = JSON.parse(await admin(['cluster', 'list', '--format', 'json'])) as {
      server_name: string;
      status: string;
    }[];
    const offline = members.filter((member) => member.status !== 'Online');
    if (offline.length > 0)
      return `${offline.map((m) => m.server_name).join(', ')} offline`;
    const listing = await admin(['list', '--format', 'csv', '-c', 'ns']);
    const errors = listing.split('\n').filter((line) => line.endsWith(',ERROR'));
    return errors.length > 0 ? `instances in ERROR: ${errors.join(' ')}` : undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Starts a member's daemon unless it answers on its socket, and waits for it. */
export async function startMember(
  cluster: ClusterKind,
  member: ClusterMember,
): Promise<void> {
  const daemon = memberDaemon(cluster, member);
  await startDaemon({
    label: member.name,
    title: `${cluster.kind.title} cluster member ${member.name}`,
    socket: daemon.socket,
    command: daemon.command,
    env: daemon.env,
    logFile: daemon.logFile,
    outFile: daemon.outFile,
    pidFile: daemon.pidFile,
    waitReady: cluster.kind.waitReady,
  });
}

/** A client bound to one member's state folder (its unix socket) and a config folder. */
export function memberClient(
  cluster: ClusterKind,
  member: ClusterMember,
  confDir: string,
): Client {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    [cluster.kind.confVariable]: confDir,
    [cluster.dirVariable]: member.dir,
  };
  delete env.LXC_REMOTE;
  delete env.INCUS_REMOTE;
  return (args) => run(cluster.kind.client, args, { env, extendEnv: false });
}

async function isClustered(client: Client): Promise<boolean> {
  const info = JSON.parse(await client(['query', '/1.0'])) as {
    environment?: { server_clustered?: boolean };
  };
  return info.environment?.server_clustered === true;
}

// The founder listens on its loopback address, has a `dir` pool and a root disk in
// the default profile, and enables clustering under its own name.
async function found(
  cluster: ClusterKind,
  admin: Client,
  member: ClusterMember,
): Promise<void> {
  const preseed = {
    config: { 'core.https_address': member.address },
    storage_pools: [{ name: cluster.pool, driver: 'dir' }],
    profiles: [
      {
        name: 'default',
        devices: { root: { path: '/', pool: cluster.pool, type: 'disk' } },
      },
    ],
    cluster: { server_name: member.name, enabled: true },
  };
  await preseedMember(cluster, member, preseed);
  if (!(await isClustered(admin))) {
    throw new SandboxError(`${member.name} took the preseed but is not clustered`);
  }
  say(member.name, `founded the ${cluster.kind.title} cluster on ${member.address}`);
}

// The second member joins with a token that the founder prints for its name; its
// pool is the founder's, with a folder of its own (an empty source: the default).
async function join(
  cluster: ClusterKind,
  admin: Client,
  joined: Client,
  member: ClusterMember,
): Promise<void> {
  const [first] = cluster.members;
  const token = await joinToken(admin, member.name);
  const preseed = {
    cluster: {
      enabled: true,
      server_name: member.name,
      server_address: member.address,
      cluster_address: first.address,
      cluster_token: token,
      member_config: [
        { entity: 'storage-pool', name: cluster.pool, key: 'source', value: '' },
      ],
    },
  };
  await preseedMember(cluster, member, preseed);
  if (!(await isClustered(joined))) {
    throw new SandboxError(`${member.name} took the join preseed but is not clustered`);
  }
  say(member.name, `joined the ${cluster.kind.title} cluster on ${member.address}`);
}

async function joinToken(admin: Client, name: string): Promise<string> {
  // A run interrupted after the token was made left one behind: a new one for the
  // same name is refused until the old one is revoked.
  const pending = JSON.parse(
    await admin(['cluster', 'list-tokens', '--format', 'json']),
  ) as { ServerName?: string }[];
  if (pending.some((each) => each.ServerName === name)) {
    await admin(['cluster', 'revoke-token', name]);
  }
  const output = await admin(['cluster', 'add', name]);
  const token = output.split('\n').at(-1)?.trim() ?? '';
  if (!/^[A-Za-z0-9+/=]{40,}$/.test(token)) {
    throw new SandboxError(`cluster add ${name} printed no token: ${output}`);
  }
  return token;
}

async function preseedMember(
  cluster: ClusterKind,
  member: ClusterMember,
  preseed: object,
): Promise<void> {
  const [file = '', ...args] = cluster.init;
  const env = { ...process.env, ...memberDaemon(cluster, member).env };
  await run(file, args, { env, input: stringify(preseed), stdin: undefined });
}

// One container per member, running, on that member. A container found on the
// wrong member (a test that moved it and did not finish) is made again where it
// belongs, which for a busybox container is quicker than moving it.
async function ensureContainers(cluster: ClusterKind, admin: Client): Promise<void> {
  const listing = await admin(['list', '--format', 'csv', '-c', 'nsL']);
  const found = new Map(
    listing
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => {
        const [name = '', status = '', location = ''] = line.split(',');
        return [name, { status, location }];
      }),
  );
  for (const member of cluster.members) {
    const name = member.container;
    const now = found.get(name);
    if (now !== undefined && now.location !== member.name) {
      await admin(['delete', '--force', name]);
      say(member.name, `deleted ${name}, which was on ${now.location}`);
    }
    if (now === undefined || now.location !== member.name) {
      await whenReady(() =>
        admin(['launch', imageAliases.busybox, name, '--target', member.name]),
      );
      say(member.name, `launched ${name}`);
    } else if (now.status !== 'RUNNING') {
      await whenReady(() => admin(['start', name]));
      say(member.name, `started ${name} (was ${now.status})`);
    }
  }
  const names = cluster.members.map((member) => `${member.container} on ${member.name}`);
  say(cluster.kind.name, `cluster: ${names.join(', ')} running`);
}

/**
 * Removes one kind's cluster: its containers, then the members' daemons, the
 * second before the first (the first holds the only vote), then their folders.
 */
export async function removeCluster(cluster: ClusterKind, adminConf: string) {
  const [first] = cluster.members;
  const admin = memberClient(cluster, first, adminConf);
  if (await answers(memberDaemon(cluster, first).socket)) {
    const listing = await admin(['list', '--format', 'csv', '-c', 'n']);
    for (const name of csvNames(listing)) await admin(['delete', '--force', name]);
  }
  for (const member of [...cluster.members].reverse()) {
    const daemon = memberDaemon(cluster, member);
    if (!(await answers(daemon.socket))) continue;
    const shutdown = cluster.kind.name === 'lxd' ? ['shutdown'] : ['admin', 'shutdown'];
    const binary = cluster.kind.name === 'lxd' ? 'lxd' : 'incus';
    await run(binary, shutdown, { env: { ...process.env, ...daemon.env } });
    say(member.name, 'daemon shut down');
  }
  for (const member of cluster.members) {
    await unmountUnder(member.dir);
    const daemon = memberDaemon(cluster, member);
    for (const path of [member.dir, daemon.logFile, daemon.outFile, daemon.pidFile]) {
      await rm(path, { recursive: true, force: true });
    }
  }
  // The other kind's members may still be there: then the folder stays.
  await rmdir(clusterBase).catch(() => undefined);
  say(cluster.kind.name, `removed the cluster's members from ${clusterBase}`);
}

// A daemon leaves mounts in its state folder (shared mounts, the guest API
// socket): a recursive removal must not walk into them.
async function unmountUnder(dir: string): Promise<void> {
  const table = await readFile('/proc/self/mountinfo', 'utf8');
  const points = table
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((point) => point === dir || point.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const point of points) await run('umount', ['-l', point]);
}
