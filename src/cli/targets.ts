import { resolveHost } from '../config/resolve.js';
import { Fleet, type FleetMember, type MemberResult } from '../fleet/fleet.js';
import { parseConfigFilters, type InstanceFilter } from '../fleet/select.js';
import { readLastRun, stateFile, writeLastRun } from './state.js';
import { UsageError } from './usage-error.js';

/** The flags every command that takes targets shares. */
export interface TargetFlags {
  readonly project?: string;
  readonly status?: string[];
  readonly type?: string;
  readonly profile?: string[];
  readonly config?: string[];
  readonly parallel?: string;
  readonly failFast?: boolean;
  readonly dryRun?: boolean;
  readonly json?: boolean;
  readonly retryFailed?: boolean;
}

/** What a command gets back from selecting its targets. */
export interface Selected {
  readonly fleet: Fleet;
  readonly members: FleetMember[];
  /** Exact names that do not exist: reported, and counted as failures. */
  readonly missing: readonly { readonly target: string; readonly where: string }[];
}

/**
 * Builds the fleet and selects the members for a command's targets and flags;
 * throws a UsageError for flags that make no sense.
 */
export async function selectTargets(
  targets: readonly string[],
  flags: TargetFlags,
  defaults: { status: string[] | undefined },
): Promise<Selected> {
  const parallel = parsePositive(flags.parallel, '--parallel', 16);
  const wanted = flags.retryFailed === true ? await lastFailed() : [...targets];
  if (wanted.length === 0) wanted.push(defaultRemoteTarget());

  const fleet = new Fleet({
    parallel,
    ...(flags.project === undefined ? {} : { project: flags.project }),
  });
  try {
    const selection = await fleet.select(wanted, filterFrom(flags, defaults.status));
    return { fleet, members: selection.members, missing: selection.missing };
  } catch (error) {
    await fleet.close();
    throw error;
  }
}

/** Remembers which members failed, for `--retry-failed`. */
export async function recordRun(
  command: string,
  results: readonly MemberResult<unknown>[],
  missing: readonly { readonly target: string }[],
): Promise<void> {
  const failed = results
    .filter((result) => result.status === 'failed' || result.status === 'unreachable')
    .map((result) => result.member.spec);
  await writeLastRun(stateFile(), {
    command,
    at: new Date().toISOString(),
    failed: [...failed, ...missing.map((each) => each.target)],
  });
}

function filterFrom(flags: TargetFlags, status: string[] | undefined): InstanceFilter {
  const config = parseConfigFilters(flags.config ?? []);
  if ('error' in config) throw new UsageError(`--config: ${config.error}.`);
  const wantedStatus = flags.status ?? status;
  const type = flags.type;
  if (type !== undefined && type !== 'container' && type !== 'virtual-machine') {
    throw new UsageError(`--type must be container or virtual-machine, not \`${type}\`.`);
  }
  return {
    ...(wantedStatus === undefined || wantedStatus.includes('all')
      ? {}
      : { status: wantedStatus }),
    ...(type === undefined ? {} : { type }),
    ...(flags.profile === undefined ? {} : { profiles: flags.profile }),
    config: config.config,
  };
}

async function lastFailed(): Promise<string[]> {
  const file = stateFile();
  const last = await readLastRun(file);
  if (last === undefined || last.failed.length === 0) {
    throw new UsageError(
      `--retry-failed: the last run (${file}) recorded no failed instance; run without it.`,
    );
  }
  return [...last.failed];
}

// `lxd-api ls` with no targets lists the default remote, as `lxc list` does.
function defaultRemoteTarget(): string {
  const { remote } = resolveHost({
    spec: '',
    family: undefined,
    remote: undefined,
    instance: 'x',
  });
  return `${remote.family === 'lxd' ? '@lxd_api/' : '@incus_api/'}${remote.name}:`;
}

/** Parses a positive integer flag, or gives the default. */
export function parsePositive(
  value: string | undefined,
  flag: string,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number <= 0) {
    throw new UsageError(`${flag} takes a whole number above 0, not \`${value}\`.`);
  }
  return number;
}
