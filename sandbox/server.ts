import { csvNames, type Client } from './client.js';
import { imageAlias, type ImageFiles } from './image.js';
import {
  httpsMarkKey,
  instanceNames,
  otherInstanceNames,
  otherProjectName,
  poolName,
  projectName,
} from './layout.js';
import { say, SandboxError } from './log.js';
import type { ServerKind } from './servers.js';

/** The projects the sandbox owns on each server, with the instances each holds. */
export const sandboxProjects = [
  { name: projectName, instances: instanceNames },
  { name: otherProjectName, instances: otherInstanceNames },
] as const;

/**
 * Brings one server's sandbox objects to the wanted state, creating only what is
 * missing: its pool, its projects with their root disks, the image, running
 * containers. Returns the loopback HTTPS address the server listens on.
 */
export async function ensureServer(
  kind: ServerKind,
  admin: Client,
  image: ImageFiles,
): Promise<string> {
  const pools = csvNames(await admin(['storage', 'list', '--format', 'csv']));
  if (!pools.has(poolName)) {
    await admin(['storage', 'create', poolName, 'dir']);
    say(kind.name, `created storage pool ${poolName} (dir)`);
  }

  const projects = csvNames(await admin(['project', 'list', '--format', 'csv']));
  for (const project of sandboxProjects) {
    // The CLI marks the default project as "default (current)" in csv output.
    const exists =
      projects.has(project.name) || projects.has(`${project.name} (current)`);
    if (!exists) {
      await admin(['project', 'create', project.name]);
      say(kind.name, `created project ${project.name}`);
    }
    await ensureRootDisk(kind, admin, project.name);
  }

  const address = await ensureHttpsAddress(kind, admin);

  for (const project of sandboxProjects) {
    await ensureImage(kind, admin, project.name, image);
    await ensureInstances(kind, admin, project.name, project.instances);
  }
  return address;
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

async function ensureImage(
  kind: ServerKind,
  admin: Client,
  project: string,
  image: ImageFiles,
): Promise<void> {
  const aliases = csvNames(
    await admin(['image', 'alias', 'list', '--format', 'csv', '--project', project]),
  );
  if (aliases.has(imageAlias)) return;
  await admin([
    'image',
    'import',
    image.metadata,
    image.rootfs,
    '--alias',
    imageAlias,
    '--project',
    project,
  ]);
  say(kind.name, `imported image ${imageAlias} into project ${project}`);
}

async function ensureInstances(
  kind: ServerKind,
  admin: Client,
  project: string,
  names: readonly string[],
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
  for (const name of names) {
    const now = status.get(name);
    if (now === 'RUNNING') continue;
    try {
      if (now === undefined) {
        await admin(['launch', imageAlias, name, '--project', project]);
        say(kind.name, `launched ${project}/${name}`);
      } else {
        await admin(['start', name, '--project', project]);
        say(kind.name, `started ${project}/${name} (was ${now})`);
      }
    } catch (error) {
      throw await cannotRun(kind, admin, project, name, error);
    }
  }
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
