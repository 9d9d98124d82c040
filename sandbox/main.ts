// `npm run sandbox`: real LXD and Incus servers on this machine for the tests, the
// demo and the benchmarks. Idempotent; `npm run sandbox -- --down` removes it all.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { buildBusyboxImage } from './busybox-image.js';
import { makeClient } from './client.js';
import { ensureCluster, memberClient, removeCluster } from './cluster.js';
import { clusterOf, memberDaemon, type ClusterKind } from './clusters.js';
import { ensureDaemon } from './daemon.js';
import { buildDebianImage } from './debian-image.js';
import { removeServerObjects } from './down.js';
import { installPackages } from './install.js';
import {
  imageAliases,
  instanceNames,
  otherInstanceNames,
  otherProjectName,
  projectName,
  remoteNames,
  sandboxPaths,
  sudoInstanceName,
  type SandboxPaths,
} from './layout.js';
import { say, SandboxError } from './log.js';
import { ensureClusterRemote, ensureRemotes } from './remotes.js';
import { ensureServer, type ImageBuilds } from './server.js';
import { servers, type ServerKind } from './servers.js';
import type {
  ClusterDescription,
  SandboxDescription,
  ServerDescription,
} from './description.js';

const usage = `usage: npm run sandbox [-- --down]

Installs, starts and sets up real LXD and Incus servers on this machine (Debian 12,
as root), with containers in projects of their own, a two-member cluster of each
kind on loopback addresses of its own, and client configuration under .sandbox/.
Run it again at any time: it only does what is missing.

  --down   remove every object the sandbox created on both servers, both clusters,
           and .sandbox/`;

async function main(argv: readonly string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(usage);
    return;
  }
  const unknown = argv.filter((arg) => arg !== '--down');
  if (unknown.length > 0)
    throw new SandboxError(`unknown argument ${unknown.join(' ')}\n${usage}`);
  if (process.getuid?.() !== 0) {
    throw new SandboxError(
      'the sandbox installs and starts system daemons: run it as root',
    );
  }

  const started = Date.now();
  const paths = sandboxPaths(resolve(import.meta.dirname, '..'));
  if (argv.includes('--down')) await down(paths);
  else await up(paths);
  say('sandbox', `done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function up(paths: SandboxPaths): Promise<void> {
  await installPackages(servers);
  // Built or read from .sandbox/ on first use only, and once for both servers: a run
  // that finds every image imported already builds nothing.
  const images: ImageBuilds = {
    busybox: once(() => buildBusyboxImage(paths.image)),
    debian: once(() => buildDebianImage(paths.debianImage)),
  };
  const described = await Promise.all(
    servers.map(async (kind): Promise<[ServerDescription, ClusterDescription]> => {
      const user = makeClient(kind, paths.clientConf(kind));
      const confFile = join(paths.clientConf(kind), 'config.yml');
      const cluster = clusterOf(kind);
      // The cluster comes up beside the single server; their remotes go into one
      // config.yml, so they are written one after the other.
      const [address] = await Promise.all([
        (async () => {
          await ensureDaemon(kind, paths.base);
          const admin = makeClient(kind, paths.adminConf(kind));
          const address = await ensureServer(kind, admin, images);
          await ensureRemotes(kind, admin, user, confFile, address);
          return address;
        })(),
        ensureCluster(cluster, paths.clusterAdminConf(kind), images),
      ]);
      const [first] = cluster.members;
      const founder = memberClient(cluster, first, paths.clusterAdminConf(kind));
      await ensureClusterRemote(kind, founder, user, confFile, {
        name: cluster.remote,
        address: first.address,
        project: cluster.project,
      });
      return [describe(kind, paths, address), describeCluster(cluster, paths)];
    }),
  );
  const description: SandboxDescription = {
    servers: Object.fromEntries(described.map(([server]) => [server.kind, server])),
    clusters: Object.fromEntries(described.map(([, cluster]) => [cluster.kind, cluster])),
  };
  await mkdir(paths.base, { recursive: true });
  await writeFile(paths.description, `${JSON.stringify(description, null, 2)}\n`);
  say('sandbox', `described in ${paths.description}`);
}

async function down(paths: SandboxPaths): Promise<void> {
  await Promise.all(
    servers.map(async (kind) => {
      await removeCluster(clusterOf(kind), paths.clusterAdminConf(kind));
      await ensureDaemon(kind, paths.base);
      await removeServerObjects(kind, makeClient(kind, paths.adminConf(kind)));
    }),
  );
  await rm(paths.base, { recursive: true, force: true });
  say(
    'sandbox',
    `removed ${paths.base}; the daemons keep running with what others left there`,
  );
}

function describe(kind: ServerKind, paths: SandboxPaths, address: string) {
  return {
    kind: kind.name,
    title: kind.title,
    client: kind.client,
    confVariable: kind.confVariable,
    confDir: paths.clientConf(kind),
    socket: kind.socket,
    httpsAddress: address,
    remotes: remoteNames(kind),
    project: projectName,
    otherProject: otherProjectName,
    instances: [...instanceNames],
    sudoInstance: sudoInstanceName,
    otherInstances: [...otherInstanceNames],
  } satisfies ServerDescription;
}

function describeCluster(cluster: ClusterKind, paths: SandboxPaths): ClusterDescription {
  const { kind } = cluster;
  const [first, second] = cluster.members.map((member) => ({
    name: member.name,
    url: `https://${member.address}`,
    dir: member.dir,
    socket: memberDaemon(cluster, member).socket,
    pidFile: memberDaemon(cluster, member).pidFile,
    container: member.container,
  }));
  if (first === undefined || second === undefined) throw new Error('two members');
  return {
    kind: kind.name,
    title: kind.title,
    client: kind.client,
    confVariable: kind.confVariable,
    dirVariable: cluster.dirVariable,
    confDir: paths.clientConf(kind),
    adminConf: paths.clusterAdminConf(kind),
    remote: cluster.remote,
    project: cluster.project,
    image: imageAliases.busybox,
    members: [first, second],
  };
}

function once<T>(make: () => Promise<T>): () => Promise<T> {
  let promise: Promise<T> | undefined;
  return () => (promise ??= make());
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof SandboxError) {
    console.error(`sandbox: ${error.message}`);
  } else {
    console.error('sandbox: unexpected failure', error);
  }
  process.exitCode = 1;
});
