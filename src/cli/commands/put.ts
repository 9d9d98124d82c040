import { stat } from 'node:fs/promises';

import { exitCodes } from '../exit-codes.js';
import { reasonOf, summaryLines } from '../summary.js';
import { recordRun, selectTargets, type TargetFlags } from '../targets.js';
import { UsageError } from '../usage-error.js';
import { dryRun, nothingMatched } from './exec.js';

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
  const targets = args.slice(1, -1);
  const isDir = await localKind(local);
  if (isDir && flags.recursive !== true) {
    throw new UsageError(`${local} is a directory; add --recursive to copy the tree.`);
  }
  const mode = flags.mode === undefined ? undefined : parseMode(flags.mode);
  const owner = parseOwner(flags.owner);

  const { fleet, members, missing } = await selectTargets(targets, flags, {
    status: ['running'],
  });
  try {
    if (flags.dryRun === true) return dryRun(members.map((member) => member.label));
    if (members.length === 0 && missing.length === 0) return nothingMatched(targets);
    const started = performance.now();
    const results = await fleet.forEach(
      members,
      async (host) => {
        if (isDir) return host.putTree(local, remotePath);
        return host.putFile(local, remotePath, {
          ...(mode === undefined ? {} : { mode }),
          ...owner,
          ...(flags.parents === true ? { createParents: true } : {}),
          ...(flags.atomic === true ? { atomic: true } : {}),
        });
      },
      {
        failFast: flags.failFast === true,
        onResult: (result) => {
          const ok = result.status === 'ok';
          if (flags.json === true) {
            const record = {
              instance: result.member.label,
              ok,
              path: remotePath,
              durationMs: Math.round(result.durationMs),
              error: ok ? null : reasonOf(result),
            };
            process.stdout.write(`${JSON.stringify(record)}\n`);
          } else if (!ok) {
            process.stderr.write(`${result.member.label}: ${reasonOf(result)}\n`);
          }
        },
      },
    );
    for (const line of summaryLines(results, missing, performance.now() - started)) {
      process.stderr.write(`${line}\n`);
    }
    await recordRun('put', results, missing);
    const allOk =
      missing.length === 0 && results.every((result) => result.status === 'ok');
    return allOk ? exitCodes.ok : exitCodes.failed;
  } finally {
    await fleet.close();
  }
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
