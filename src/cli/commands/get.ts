import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';

import { exitCodes } from '../exit-codes.js';
import { reasonOf, summaryLines } from '../summary.js';
import { recordRun, selectTargets, type TargetFlags } from '../targets.js';
import { UsageError } from '../usage-error.js';
import { dryRun, nothingMatched } from './exec.js';

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
  const targets = args.slice(0, -2);
  const name = basename(remotePath);
  if (name === '' || name === '/') {
    throw new UsageError(
      `REMOTE_PATH ${remotePath} names no file; give a file or a directory.`,
    );
  }

  const { fleet, members, missing } = await selectTargets(targets, flags, {
    status: ['running'],
  });
  try {
    if (flags.dryRun === true) return dryRun(members.map((member) => member.label));
    if (members.length === 0 && missing.length === 0) return nothingMatched(targets);
    const started = performance.now();
    const results = await fleet.forEach(
      members,
      async (host, member) => {
        const dir = join(localDir, member.remote.name, member.instance.name);
        await mkdir(dir, { recursive: true });
        const destination = join(dir, name);
        if (flags.recursive === true) await host.getTree(remotePath, destination);
        else await host.getFile(remotePath, destination);
        return destination;
      },
      {
        failFast: flags.failFast === true,
        onResult: (result) => {
          const ok = result.status === 'ok';
          if (flags.json === true) {
            const record = {
              instance: result.member.label,
              ok,
              path: result.value ?? null,
              durationMs: Math.round(result.durationMs),
              error: ok ? null : reasonOf(result),
            };
            process.stdout.write(`${JSON.stringify(record)}\n`);
          } else if (ok) {
            process.stdout.write(`${result.member.label}: ${result.value ?? ''}\n`);
          } else {
            process.stderr.write(`${result.member.label}: ${reasonOf(result)}\n`);
          }
        },
      },
    );
    for (const line of summaryLines(results, missing, performance.now() - started)) {
      process.stderr.write(`${line}\n`);
    }
    await recordRun('get', results, missing);
    const allOk =
      missing.length === 0 && results.every((result) => result.status === 'ok');
    return allOk ? exitCodes.ok : exitCodes.failed;
  } finally {
    await fleet.close();
  }
}
