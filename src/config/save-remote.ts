import { join } from 'node:path';

import { ConfigError, RemoteExistsError } from '../errors.js';
import { staticRemotes } from './builtin-remotes.js';
import { changeConfig } from './change-config.js';
import type { ClientConfig } from './client-config.js';
import { displayPath } from './config-dir.js';
import type { NewRemote } from './config-document.js';
import { familyFacts } from './family.js';
import { checkWritable, FileChanges } from './file-changes.js';
import { remoteNameProblem } from './host-spec.js';

/** A remote to write into a client config, with the certificates that go with it. */
export interface RemoteToSave {
  readonly name: string;
  readonly remote: NewRemote;
  /**
   * The server certificate to pin as `servercerts/<name>.crt` (PEM); undefined
   * when the CAs vouch for the server, and then a stale pin is removed.
   */
  readonly serverCertificate: string | undefined;
}

/** A client identity to write: as the client's own, or (Incus) for one remote. */
export interface StoredIdentity {
  readonly cert: string;
  readonly key: string;
  /** `client` for client.crt / client.key, `remote` for clientcerts/<name>.*. */
  readonly as: 'client' | 'remote';
}

/**
 * Checks, before anything is sent to a server, that `name` can be added to
 * `config`: a valid name, not a built-in remote, not taken (unless `force`), and
 * a folder that takes new files.
 */
export function checkNewRemote(config: ClientConfig, name: string, force = false): void {
  const { file } = config.paths;
  const shown = displayPath(file, config.home);
  const problem = remoteNameProblem(name);
  if (problem !== undefined) {
    throw new ConfigError(`Remote name \`${name}\` ${problem}; choose another name.`, {
      file,
      field: `remotes.${name}`,
    });
  }
  if (staticRemotes(config.family).has(name)) {
    const { client } = familyFacts[config.family];
    throw new ConfigError(
      `Remote \`${name}\` is built into ${client} and cannot be replaced; choose ` +
        'another name.',
      { file, field: `remotes.${name}` },
    );
  }
  const entry = config.remotes.get(name);
  if (
    entry !== undefined &&
    !force &&
    (entry.source !== 'builtin' || config.fileExists)
  ) {
    throw new RemoteExistsError(
      `Remote \`${name}\` exists already in ${shown} (${entry.addr ?? 'no address'}); ` +
        'choose another name, remove it first (`lxd-api remote remove ' +
        `${name}\`), or replace it with --force.`,
      { file, remote: name, ...(entry.addr === undefined ? {} : { addr: entry.addr }) },
    );
  }
  checkWritable(config.paths.dir);
}

/**
 * Writes `save` into the user's config of `config` as `lxc remote add` or
 * `incus remote add` would: the pinned certificate first, `config.yml` last, all
 * or nothing.
 */
export function saveRemote(config: ClientConfig, save: RemoteToSave): void {
  const pin = join(config.paths.dir, 'servercerts', `${save.name}.crt`);
  changeConfig(config, (doc, changes) => {
    if (save.serverCertificate === undefined) changes.remove(pin);
    else changes.write(pin, save.serverCertificate, 0o644);
    doc.setRemote(save.name, save.remote);
  });
}

/**
 * Writes a client certificate and its key (0600) into the folder of `config`,
 * both or neither: as the client's own pair, or as Incus's pair for `remote`.
 */
export function storeIdentity(
  config: ClientConfig,
  remote: string,
  identity: StoredIdentity,
): void {
  const { dir } = config.paths;
  const base =
    identity.as === 'client' ? join(dir, 'client') : join(dir, 'clientcerts', remote);
  const changes = new FileChanges();
  try {
    changes.write(`${base}.key`, identity.key, 0o600);
    changes.write(`${base}.crt`, identity.cert, 0o644);
    changes.commit();
  } catch (error) {
    changes.discard();
    throw error;
  }
}
