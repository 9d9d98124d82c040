import { exitCodes } from '../exit-codes.js';
import { selectTargets, type TargetFlags } from '../targets.js';
import { dryRun, nothingMatched } from '../fan-out.js';

/** `lxd-api ls [TARGETS]`: the instances, with remote, project, status, type, location. */
export async function lsCommand(
  targets: readonly string[],
  flags: TargetFlags,
): Promise<number> {
  // Listing shows every status unless asked; the other commands default to running.
  const { fleet, members, missing } = await selectTargets(targets, flags, {
    status: undefined,
  });
  try {
    if (flags.dryRun === true) return dryRun(members.map((member) => member.label));
    for (const each of missing) {
      process.stderr.write(`lxd-api: ${each.target} not found on ${each.where}\n`);
    }
    if (members.length === 0)
      return missing.length > 0 ? exitCodes.failed : nothingMatched(targets);

    const rows = members.map((member) => ({
      instance: member.instance.name,
      remote: member.remote.name,
      project: member.project,
      status: member.instance.status,
      type: member.instance.type,
      location: member.instance.location === '' ? 'none' : member.instance.location,
    }));
    if (flags.json === true) {
      for (const row of rows) process.stdout.write(`${JSON.stringify(row)}\n`);
    } else {
      process.stdout.write(table(rows));
    }
    return missing.length > 0 ? exitCodes.failed : exitCodes.ok;
  } finally {
    await fleet.close();
  }
}

function table(rows: readonly Record<string, string>[]): string {
  const columns = ['instance', 'remote', 'project', 'status', 'type', 'location'];
  const widths = columns.map((column) =>
    Math.max(column.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    `${cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd()}\n`;
  return (
    line(columns.map((column) => column.toUpperCase())) +
    rows.map((row) => line(columns.map((column) => row[column] ?? ''))).join('')
  );
}
