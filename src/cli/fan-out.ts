import type { FleetMember, MemberResult } from '../fleet/fleet.js';
import type { Host } from '../host/host.js';
import { exitCodes } from './exit-codes.js';
import { summaryLines } from './summary.js';
import { recordRun, selectTargets, type TargetFlags } from './targets.js';

/** How a command works on the members its targets selected. */
export interface FanOutPlan<T> {
  readonly task: (host: Host, member: FleetMember) => Promise<T>;
  /** Whether a value counts as success; true by default. */
  readonly isOk?: (value: T) => boolean;
  /** Called as each member ends. */
  readonly onResult?: (result: MemberResult<T>) => void;
  /** Called once every member has ended, before the summary. */
  readonly finished?: (results: readonly MemberResult<T>[]) => void;
  /** Whether the summary goes to stderr; true by default. */
  readonly summary?: (results: readonly MemberResult<T>[]) => boolean;
}

type Missing = readonly { readonly target: string; readonly where: string }[];

/**
 * What every fan-out command does around its own work: select the targets, stop
 * at a dry run or when nothing matched, run the plan on each member, print the
 * summary, remember the failures for --retry-failed, and choose the exit code.
 */
export async function fanOut<T>(
  command: string,
  targets: readonly string[],
  flags: TargetFlags,
  plan: (members: readonly FleetMember[], missing: Missing) => FanOutPlan<T>,
): Promise<number> {
  const { fleet, members, missing } = await selectTargets(targets, flags, {
    status: ['running'],
  });
  try {
    if (flags.dryRun === true) return dryRun(members.map((member) => member.label));
    if (members.length === 0 && missing.length === 0) return nothingMatched(targets);

    const started = performance.now();
    const { task, finished, summary, ...options } = plan(members, missing);
    const results = await fleet.forEach(members, task, {
      ...options,
      failFast: flags.failFast === true,
    });
    finished?.(results);
    if (summary?.(results) ?? true) {
      for (const line of summaryLines(results, missing, performance.now() - started)) {
        process.stderr.write(`${line}\n`);
      }
    }
    await recordRun(command, results, missing);
    const allOk =
      missing.length === 0 && results.every((result) => result.status === 'ok');
    return allOk ? exitCodes.ok : exitCodes.failed;
  } finally {
    await fleet.close();
  }
}

/** Prints what would be touched, one instance a line. */
export function dryRun(labels: readonly string[]): number {
  for (const label of labels) process.stdout.write(`${label}\n`);
  return labels.length === 0 ? exitCodes.noMatch : exitCodes.ok;
}

/** Says that nothing matched, and returns the exit code for it. */
export function nothingMatched(targets: readonly string[]): number {
  const what = targets.length === 0 ? 'the default remote' : targets.join(' ');
  process.stderr.write(`lxd-api: no instance matched ${what}\n`);
  return exitCodes.noMatch;
}
