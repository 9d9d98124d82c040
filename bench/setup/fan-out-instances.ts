// The containers the fan-out runs on: busybox containers `bench-1` … `bench-N` in
// a project of their own on each server, made once and reused by every run.
import { resolve } from 'node:path';

import { buildBusyboxImage } from '../../sandbox/busybox-image.js';
import { csvNames, makeClient } from '../../sandbox/client.js';
import { removeProject } from '../../sandbox/down.js';
import { benchProjectName, sandboxPaths } from '../../sandbox/layout.js';
import { ensureProject, type ImageBuilds } from '../../sandbox/server.js';
import { servers, type ServerKind } from '../../sandbox/servers.js';

let busyboxBuild: ReturnType<typeof buildBusyboxImage> | undefined;

/** The fan-out's containers on a server, made and started where missing. */
export async function ensureFanOutInstances(
  kind: ServerKind['name'],
  count: number,
): Promise<{ project: string; names: string[] }> {
  const names = benchNames(count);
  const paths = sandboxPaths(resolve(import.meta.dirname, '../..'));
  const images: ImageBuilds = {
    // One build for both servers, which are set up at the same time: two would
    // each take the other's build folder for one left by an interrupted run.
    busybox: () => (busyboxBuild ??= buildBusyboxImage(paths.image)),
    debian: () => Promise.reject(new Error('the fan-out needs no Debian image')),
  };
  const server = serverKind(kind);
  await ensureProject(server, makeClient(server, paths.adminConf(server)), images, {
    name: benchProjectName,
    containers: names.map((name) => ({ name, image: 'busybox' })),
  });
  return { project: benchProjectName, names };
}

/** Deletes the fan-out's containers, images and project from a server. */
export async function removeFanOutInstances(kind: ServerKind['name']): Promise<boolean> {
  const paths = sandboxPaths(resolve(import.meta.dirname, '../..'));
  const server = serverKind(kind);
  const admin = makeClient(server, paths.adminConf(server));
  const projects = csvNames(await admin(['project', 'list', '--format', 'csv']));
  if (!projects.has(benchProjectName)) return false;
  await removeProject(server, admin, benchProjectName);
  return true;
}

/** `bench-1` … `bench-<count>`. */
export function benchNames(count: number): string[] {
  return Array.from({ length: count }, (_, index) => `bench-${index + 1}`);
}

function serverKind(name: ServerKind['name']): ServerKind {
  const kind = servers.find((each) => each.name === name);
  if (kind === undefined) throw new Error(`no sandbox server of kind ${name}`);
  return kind;
}
