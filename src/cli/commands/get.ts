import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';

import { fanOut } from '../fan-out.js';
import { checkRemotePathArg } from '../remote-path-arg.js';
import { reportTransfer } from '../transfer-report.js';
import type { TargetFlags } from '../targets.js';
import { UsageError } from '../usage-error.js';

/** The flags of `lxd-api get`. */
export interface GetFlags extends TargetFlags {
  readonly recursive?: boolean;
}

/**
 * `lxd-api get TARGETS... REMOTE_PATH LOCAL_DIR`: copies a file or tree from every
 * target to LOCAL_DIR/<remote>/<instance>/<name>, so copies never overwrite each other.
 */
export async function getCommand(
  args: readonly string[],
  flags: GetFlags,
): Promise<number> {
  if (args.length < 3) {
    throw new UsageError(
      'get takes TARGETS... REMOTE_PATH LOCAL_DIR: lxd-api get web-1 /etc/hostname ./copies.',
    );
  }
  const localDir = args.at(-1) ?? '';
  const remotePath = args.at(-2) ?? '';
  checkRemotePathArg(remotePath, 'getFile');
  const name = basename(remotePath);
  if (name === '' || name === '/') {
    throw new UsageError(
      `REMOTE_PATH ${remotePath} names no file; give a file or a directory.`,
    );
  }

  return fanOut('get', args.slice(0, -2), flags, () => ({
    task: async (host, member) => {
      const dir = join(localDir, member.remote.name, member.instance.name);
      await mkdir(dir, { recursive: true });
      const destination = join(dir, name);
      if (flags.recursive === true) await host.getTree(remotePath, destination);
      else await host.getFile(remotePath, destination);
      return destination;
    },
    onResult: (result) => {
      reportTransfer(result, flags.json === true, true);
    },
  }));
}
