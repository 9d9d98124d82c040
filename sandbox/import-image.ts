import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

import { csvNames, type Client } from './client.js';
import { say } from './log.js';
import type { ServerKind } from './servers.js';
import type { ImageFiles } from './split-image.js';

/**
 * Imports a split image into a project under an alias. When the project holds that
 * very image without the alias, as a run interrupted between the upload and the
 * alias leaves it, only the alias is added: a second import would fail on the
 * fingerprint.
 */
export async function importImage(
  kind: ServerKind,
  admin: Client,
  project: string,
  alias: string,
  files: ImageFiles,
): Promise<void> {
  const fingerprint = await splitFingerprint(files);
  const held = csvNames(
    await admin(['image', 'list', '--format', 'csv', '-c', 'F', '--project', project]),
  );
  if (held.has(fingerprint)) {
    await admin(['image', 'alias', 'create', alias, fingerprint, '--project', project]);
    say(kind.name, `gave image ${alias} in project ${project} back its lost alias`);
    return;
  }

  await admin([
    'image',
    'import',
    files.metadata,
    files.rootfs,
    '--alias',
    alias,
    '--project',
    project,
  ]);
  say(kind.name, `imported image ${alias} into project ${project}`);
}

// The servers fingerprint a split image by the SHA-256 of its metadata tarball
// followed by its root file system tarball.
async function splitFingerprint(files: ImageFiles): Promise<string> {
  const hash = createHash('sha256');
  for (const file of [files.metadata, files.rootfs]) {
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}
