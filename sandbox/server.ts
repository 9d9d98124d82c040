import { csvNames, type Client } from './client.js';
import { importImage } from './import-image.js';
import {
  httpsMarkKey,
  imageAliases,
  instanceNames,
  otherInstanceNames,
  otherProjectName,
  poolName,
  projectName,
  sudoInstanceName,
  type ImageName,
} from './layout.js';
import { say, SandboxError } from './log.js';
import type { ServerKind } from './servers.js';
import type { ImageFiles } from './split-image.js';

/** One container of the sandbox, and the image it is launched from. */
export interface Container {
  readonly name: string;
  readonly image: ImageName;
}

/** The projects the sandbox owns on each server, with the containers each holds. */
export const sandboxProjects: readonly {
  readonly name: string;
  readonly containers: readonly Container[];
}[] = [
  {
    name: projectName,
    containers: [
      ...instanceNames.map((name) => ({ name, image: 'busybox' as const })),
      { name: sudoInstanceName, image: 'debian' },
    ],
  },
  {
    name: otherProjectName,
    containers: otherInstanceNames.map((name) => ({ name, image: 'busybox' as const })),
  },
];

/** The tarballs of each image, asked for only when a project lacks that image. */
export type ImageBuilds = Readonly<Record<ImageName, () => Promise<ImageFiles>>>;

/**
 * Brings one server's sandbox objects to the wanted state, creating only what is
 * missing: its pool, its projects with their root disks, the images, running
 * containers. Returns the loopback HTTPS address the server listens on.
 */
export async function ensureServer(
  kind: ServerKind,
  admin: Client,
  images: ImageBuilds,
): Promise<string> {
  const pools = csvNames(await admin(['storage', 'list', '--format', 'csv']));
  if (!pools.has(poolName)) {
    await admin(['storage', 'create', poolName, 'dir']);
    say(kind.name, `created storage pool ${poolName} (dir)`);
  }

  for (const project of sandboxProjects)
    await ensureProjectExists(kind, admin, project.name);

  const address = await ensureHttpsAddress(kind, admin);

  for (const project of sandboxProjects) {
    await ensureImages(kind, admin, project.name, images, project.containers);
    await ensureContainers(kind, admin, project.name, project.containers);
  }
  return address;
}

/**
 * Brings one more project of the sandbox's (the benchmarks') to the wanted state on
 * a server whose sandbox is up: the project with its root disk on the sandbox's
 * pool, its images, and its containers running.
 */
export async function ensureProject(
  kind: ServerKind,
  admin: Client,
  images: ImageBuilds,
  project: { readonly name: string; readonly containers: readonly Container[] },
): Promise<void> {
  await ensureProjectExists(kind, admin, project.name);
  await ensureImages(kind, admin, project.name, images, project.containers);
  await ensureContainers(kind, admin, project.name, project.containers);
}

async function ensureProjectExists(kind: ServerKind, admin: Client, project: string) {
  const projects = csvNames(await admin(['project', 'list', '--format', 'csv']));
  // The CLI marks the default project as "default (current)" in csv output.
  if (!projects.has(project) && !projects.has(`${project} (current)`)) {
    await admin(['project', 'create', project]);
    say(kind.name, `created project ${project}`);
  }
  await ensureRootDisk(kind, admin, project);
}

async function ensureRootDisk(kind: ServerKind, admin: Client, project: string) {
  const devices = csvNames(
    await admin(['profile', 'device', 'list', 'default', '--project', project]),
  );
  if (devices.has('root')) return;
  await admin([
    'profile',
    'device',
    'add',
    'default',
    'root',
    'disk',
    'path=/',
    `pool=${poolName}`,
    '--project',
    project,
  ]);
  say(kind.name, `gave project ${project}'s default profile a root disk on ${poolName}`);
}

// Reuses the server's HTTPS address when it has one; otherwise sets the sandbox's
// and notes in the sandbox's project that it did, so that --down can undo it.
async function ensureHttpsAddress(kind: ServerKind, admin: Client): Promise<string> {
  const current = await admin(['config', 'get', 'core.https_address']);
  if (current === '') {
    await admin(['config', 'set', 'core.https_address', kind.httpsAddress]);
    await admin(['project', 'set', projectName, httpsMarkKey, kind.httpsAddress]);
    say(kind.name, `set core.https_address to ${kind.httpsAddress}`);
    return kind.httpsAddress;
  }
  const address = loopbackAddress(current);
  say(kind.name, `HTTPS on ${current}`);
  return address;
}

/** Turns a listen address into a loopback address to connect to, or refuses. */
export function loopbackAddress(listen: string): string {
  const match = /^(.*?)(?::(\d+))?$/.exec(listen);
  const host = match?.[1] ?? '';
  const port = match?.[2] ?? '8443';
  if (['', '0.0.0.0', '[::]', '::', '127.0.0.1', 'localhost', '[::1]'].includes(host)) {
    return `127.0.0.1:${port}`;
  }
  if (host.startsWith('127.')) return `${host}:${port}`;
  throw new SandboxError(
    `the server listens for HTTPS on ${listen}, not on loopback; the sandbox only ` +
      'talks to loopback. Add a loopback address (core.https_address) or use another machine.',
  );
}

async function ensureImages(
  kind: ServerKind,
  admin: Client,
  project: string,
  images: ImageBuilds,
  containers: readonly Container[],
): Promise<void> {
  const aliases = csvNames(
    await admin(['image', 'alias', 'list', '--format', 'csv', '--project', project]),
  );
  const wanted = new Set(containers.map((container) => container.image));
  for (const image of wanted) {
    const alias = imageAliases[image];
    if (aliases.has(alias)) continue;
    await importImage(kind, admin, project, alias, await images[image]());
  }
}

async function ensureContainers(
  kind: ServerKind,
  admin: Client,
  project: string,
  containers: readonly Container[],
): Promise<void> {
  const listing = await admin([
    'list',
    '--format',
    'csv',
    '-c',
    'ns',
    '--project',
    project,
  ]);
  const status = new Map(
    listing
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => line.split(',') as [string, string]),
  );
  for (const { name, image } of containers) {
    const now = status.get(name);
    if (now === 'RUNNING') continue;
    try {
      if (now === undefined) {
        await admin(['launch', imageAliases[image], name, '--project', project]);
        say(kind.name, `launched ${project}/${name}`);
      } else {
        await admin(['start', name, '--project', project]);
        say(kind.name, `started ${project}/${name} (was ${now})`);
      }
    } catch (error) {
      throw await cannotRun(kind, admin, project, name, error);
    }
  }
  const names = containers.map((container) => container.name);
  say(kind.name, `project ${project}: ${names.join(', ')} running`);
}

// A container that will not start is most often a machine that cannot run
// containers at all: show the container's own log, which names the cause.
async function cannotRun(
  kind: ServerKind,
  admin: Client,
  project: string,
  name: string,
  error: unknown,
): Promise<SandboxError> {
  let log = '';
  try {
    log = await admin(['info', name, '--show-log', '--project', project]);
  } catch {
    log = '(no log available)';
  }
  const tail = log.split('\n').slice(-15).join('\n');
  return new SandboxError(
    `${kind.title} could not start container ${project}/${name}; this machine may ` +
      `not be able to run containers (cgroups, namespaces, subuid/subgid).\n` +
      `${error instanceof Error ? error.message : String(error)}\nLog:\n${tail}`,
  );
}
