import { displayPath } from '../../config/config-dir.js';
import { familyFacts } from '../../config/family.js';
import { normalizeOptions } from '../../config/options.js';
import { removeRemote, switchRemote } from '../../config/remote-edit.js';
import {
  getDefaultRemote,
  listRemotes,
  type RemoteInfo,
} from '../../config/remote-list.js';
import { exitCodes } from '../exit-codes.js';
import { familyOf, runRemoteCommand, type RemoteFlags } from '../remote-flags.js';

/** `lxd-api remote list`: the remotes of both client configurations. */
export async function remoteListCommand(flags: RemoteFlags): Promise<number> {
  return runRemoteCommand(flags, () => {
    const remotes = listRemotes({ family: familyOf(flags) });
    if (flags.json === true) {
      for (const remote of remotes) process.stdout.write(`${JSON.stringify(remote)}\n`);
    } else {
      process.stdout.write(table(remotes));
    }
    return exitCodes.ok;
  });
}

/** `lxd-api remote switch NAME`: makes NAME the default remote of its config. */
export async function remoteSwitchCommand(
  name: string,
  flags: RemoteFlags,
): Promise<number> {
  return runRemoteCommand(flags, () => {
    const switched = switchRemote(name, { family: familyOf(flags) });
    if (flags.json === true) {
      process.stdout.write(`${JSON.stringify(switched)}\n`);
      return exitCodes.ok;
    }
    process.stdout.write(
      `The default remote of ${shown(switched.configFile)} is now ${name}.\n`,
    );
    if (switched.overriddenBy !== undefined) {
      process.stderr.write(
        `lxd-api: ${switched.overriddenBy} is set and overrides it until unset.\n`,
      );
    }
    return exitCodes.ok;
  });
}

/** `lxd-api remote remove NAME`: removes NAME and its pinned certificate. */
export async function remoteRemoveCommand(
  name: string,
  flags: RemoteFlags,
): Promise<number> {
  return runRemoteCommand(flags, () => {
    const removed = removeRemote(name, { family: familyOf(flags) });
    if (flags.json === true) {
      process.stdout.write(`${JSON.stringify(removed)}\n`);
      return exitCodes.ok;
    }
    const pin =
      removed.serverCertificate === undefined ? '' : ' and its pinned certificate';
    process.stdout.write(
      `Removed remote ${name}${pin} from ${shown(removed.configFile)}.\n`,
    );
    return exitCodes.ok;
  });
}

/** `lxd-api remote get-default`: the remote a host spec without one goes to. */
export async function remoteGetDefaultCommand(flags: RemoteFlags): Promise<number> {
  return runRemoteCommand(flags, () => {
    const remote = getDefaultRemote({ family: familyOf(flags) });
    process.stdout.write(
      flags.json === true ? `${JSON.stringify(remote)}\n` : `${remote.name}\n`,
    );
    return exitCodes.ok;
  });
}

function table(remotes: readonly RemoteInfo[]): string {
  const header = ['REMOTE', 'ADDRESS', 'PROTOCOL', 'PROJECT', 'DEFAULT', 'CONFIG'];
  const rows = remotes.map((remote) => [
    remote.name,
    remote.addr ?? '',
    remote.protocol,
    remote.project,
    remote.isDefault ? 'yes' : '',
    remote.source === 'builtin'
      ? `built into ${familyFacts[remote.family].client}`
      : shown(remote.configFile),
  ]);
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    `${cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd()}\n`;
  return line(header) + rows.map(line).join('');
}

function shown(file: string): string {
  return displayPath(file, normalizeOptions().home);
}
