import { csvNames, type Client } from './client.js';
import { benchProjectName, httpsMarkKey, poolName, trustName } from './layout.js';
import { say } from './log.js';
import { sandboxProjects } from './server.js';
import type { ServerKind } from './servers.js';

/** Removes what the sandbox created on one server, and nothing else. */
export async function removeServerObjects(
  kind: ServerKind,
  admin: Client,
): Promise<void> {
  const projects = csvNames(await admin(['project', 'list', '--format', 'csv']));
  const ours = [...sandboxProjects.map((project) => project.name), benchProjectName];
  for (const project of ours) {
    if (projects.has(project)) await removeProject(kind, admin, project);
  }

  const pools = csvNames(await admin(['storage', 'list', '--format', 'csv']));
  if (pools.has(poolName)) {
    await admin(['storage', 'delete', poolName]);
    say(kind.name, `deleted storage pool ${poolName}`);
  }

  const trusted = JSON.parse(
    await admin(['config', 'trust', 'list', '--format', 'json']),
  ) as { name: string; fingerprint: string }[];
  for (const entry of trusted.filter((item) => item.name === trustName)) {
    await admin(['config', 'trust', 'remove', entry.fingerprint]);
  }
  say(kind.name, `removed trusted client certificates named ${trustName}`);
}

/** Deletes one of the sandbox's projects with its instances and images. */
export async function removeProject(
  kind: ServerKind,
  admin: Client,
  project: string,
): Promise<void> {
  const instances = csvNames(
    await admin(['list', '--format', 'csv', '-c', 'n', '--project', project]),
  );
  for (const name of instances) {
    await admin(['delete', '--force', name, '--project', project]);
  }
  const images = csvNames(
    await admin(['image', 'list', '--format', 'csv', '-c', 'f', '--project', project]),
  );
  for (const fingerprint of images) {
    await admin(['image', 'delete', fingerprint, '--project', project]);
  }
  await restoreHttpsAddress(kind, admin, project);
  await admin(['project', 'delete', project]);
  say(kind.name, `deleted project ${project} (${instances.size} instances)`);
}

// Unsets the HTTPS address only when the sandbox set it and nobody changed it since.
async function restoreHttpsAddress(kind: ServerKind, admin: Client, project: string) {
  const mark = await admin(['project', 'get', project, httpsMarkKey]);
  if (mark === '') return;
  const current = await admin(['config', 'get', 'core.https_address']);
  if (current !== mark) return;
  await admin(['config', 'unset', 'core.https_address']);
  say(kind.name, `unset core.https_address ${mark}, which the sandbox had set`);
}
