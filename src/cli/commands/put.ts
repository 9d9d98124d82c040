import { stat } from 'node:fs/promises';

import { fanOut } from '../fan-out.js';
import { checkRemotePathArg } from '../remote-path-arg.js';
import { reportTransfer } from '../transfer-report.js';
import type { TargetFlags } from '../targets.js';
import { UsageError } from '../usage-error.js';

/** The flags of `lxd-api put`. */
export interface PutFlags extends TargetFlags {
  readonly mode?: string;
  readonly owner?: string;
  readonly parents?: boolean;
  readonly atomic?: boolean;
  readonly recursive?: boolean;
}

/** `lxd-api put LOCAL TARGETS... REMOTE_PATH`: copies a file or tree to every target. */
export async function putCommand(
  args: readonly string[],
  flags: PutFlags,
): Promise<number> {
  if (args.length < 3) {
    throw new UsageError(
      'put takes LOCAL TARGETS... REMOTE_PATH: lxd-api put app.conf web-1 /etc/app.conf.',
    );
  }
  const local = args[0] ?? '';
  const remotePath = args.at(-1) ?? '';
  checkRemotePathArg(remotePath, 'putFile');
  const isDir = await localKind(local);
  if (isDir && flags.recursive !== true) {
    throw new UsageError(`${local} is a directory; add --recursive to copy the tree.`);
  }
  const mode = flags.mode === undefined ? undefined : parseMode(flags.mode);
  const owner = parseOwner(flags.owner);

  return fanOut('put', args.slice(1, -1), flags, () => ({
    task: async (host) => {
      if (isDir) await host.putTree(local, remotePath);
      else {
        await host.putFile(local, remotePath, {
          ...(mode === undefined ? {} : { mode }),
          ...owner,
          ...(flags.parents === true ? { createParents: true } : {}),
          ...(flags.atomic === true ? { atomic: true } : {}),
        });
      }
      return remotePath;
    },
    onResult: (result) => {
      reportTransfer(result, flags.json === true, false);
    },
  }));
}

/**
 * Parses a mode in octal: `0644` and `644` both mean rw-r--r-- (a mode is never
 * decimal on the command line).
 */
export function parseMode(value: string): number {
  if (!/^0?[0-7]{3,4}$/.test(value)) {
    throw new UsageError(
      `--mode takes an octal mode such as 0644 or 755, not \`${value}\`.`,
    );
  }
  return Number.parseInt(value, 8);
}

function parseOwner(value: string | undefined): {
  uid?: string | number;
  gid?: string | number;
} {
  if (value === undefined) return {};
  const [user = '', group] = value.split(':', 2);
  if (user === '' && (group === undefined || group === '')) {
    throw new UsageError(`--owner takes USER[:GROUP] (names or ids), not \`${value}\`.`);
  }
  const id = (part: string) => (/^\d+$/.test(part) ? Number(part) : part);
  return {
    ...(user === '' ? {} : { uid: id(user) }),
    ...(group === undefined || group === '' ? {} : { gid: id(group) }),
  };
}

async function localKind(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new UsageError(`The local source ${path} cannot be read (${reason}).`);
  }
}
