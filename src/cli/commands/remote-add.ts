import { displayPath } from '../../config/config-dir.js';
import { familyFacts } from '../../config/family.js';
import { normalizeOptions } from '../../config/options.js';
import {
  addRemote,
  addRemoteWithToken,
  type AddedRemote,
} from '../../enrol/add-remote.js';
import { looksLikeToken } from '../../enrol/trust-token.js';
import { exitCodes } from '../exit-codes.js';
import { familyOf, runRemoteCommand, type RemoteFlags } from '../remote-flags.js';
import { UsageError } from '../usage-error.js';

/** The flags of `lxd-api remote add`. */
export interface RemoteAddFlags extends RemoteFlags {
  readonly acceptCertificate?: string;
  readonly project?: string;
  readonly force?: boolean;
}

/** `lxd-api remote add NAME TOKEN|URL`: enrols with a token, or adds a server by URL. */
export async function remoteAddCommand(
  name: string,
  target: string,
  flags: RemoteAddFlags,
): Promise<number> {
  return runRemoteCommand(flags, async () => {
    const options = {
      family: familyOf(flags),
      project: flags.project,
      force: flags.force,
      acceptCertificate: flags.acceptCertificate,
    };
    const token = looksLikeToken(target.trim());
    if (token && flags.acceptCertificate !== undefined) {
      throw new UsageError(
        '--accept-certificate goes with an address: a trust token names the ' +
          "server's certificate itself.",
      );
    }
    const added = token
      ? await addRemoteWithToken(name, target, options)
      : await addRemote(name, target, options);
    report(added, flags);
    return exitCodes.ok;
  });
}

function report(added: AddedRemote, flags: RemoteAddFlags): void {
  if (flags.json === true) {
    process.stdout.write(`${JSON.stringify(added)}\n`);
    return;
  }
  const { home } = normalizeOptions();
  const kind = added.server.kind === 'lxd' ? 'LXD' : 'Incus';
  process.stdout.write(
    `Added remote ${added.name} to ${displayPath(added.configFile, home)}: ` +
      `${added.addr}, ${kind} ${added.server.version}, project ${added.project}.\n`,
  );
  for (const each of added.unreachable) {
    process.stderr.write(`lxd-api: ${each.address} did not answer (${each.reason})\n`);
  }
  if (added.generatedCertificate) {
    process.stderr.write(
      `lxd-api: made a client certificate, fingerprint ${added.clientFingerprint}\n`,
    );
  }
  if (added.pinned) {
    process.stderr.write(
      `lxd-api: pinned the server certificate ${added.serverFingerprint}\n`,
    );
  }
  const { client } = familyFacts[added.family];
  if (added.tokenUsed === false) {
    process.stderr.write(
      'lxd-api: the server trusted this client already and refused the token; a ' +
        'token not used before stays valid until it is revoked ' +
        `(\`${client} config trust list-tokens\`).
`,
    );
  }
}
