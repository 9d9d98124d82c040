import { readFile } from 'node:fs/promises';
import { text } from 'node:stream/consumers';

import type { MemberResult } from '../../fleet/fleet.js';
import type { RunOptions, RunResult } from '../../host/run.js';
import { exitCodes } from '../exit-codes.js';
import { LinePrefixer } from '../lines.js';
import { Progress } from '../progress.js';
import { painter } from '../style.js';
import { outcomeOf, reasonOf, summaryLines } from '../summary.js';
import { recordRun, selectTargets, type TargetFlags } from '../targets.js';
import { UsageError } from '../usage-error.js';

/** The flags of `lxd-api exec`. */
export interface ExecFlags extends TargetFlags {
  readonly user?: string;
  readonly group?: string;
  readonly cwd?: string;
  readonly env?: string[];
  readonly sudo?: boolean;
  readonly timeout?: string;
  readonly input?: string;
  readonly stdin?: boolean;
  readonly groupOutput?: boolean;
}

/** `lxd-api exec TARGETS -- COMMAND...`: runs a command on every target. */
export async function execCommand(
  targets: readonly string[],
  command: readonly string[],
  flags: ExecFlags,
): Promise<number> {
  if (command.length === 0) {
    throw new UsageError(
      'exec needs a command after `--`: lxd-api exec web-1 -- uptime.',
    );
  }
  const options = await runOptions(flags);
  const { fleet, members, missing } = await selectTargets(targets, flags, {
    status: ['running'],
  });
  try {
    if (flags.dryRun === true) return dryRun(members.map((member) => member.label));
    if (members.length === 0 && missing.length === 0) return nothingMatched(targets);

    const started = performance.now();
    const mode =
      flags.json === true ? 'json' : flags.groupOutput === true ? 'group' : 'lines';
    const raw = mode === 'lines' && members.length === 1 && missing.length === 0;
    const progress = new Progress(process.stderr, mode !== 'json' && !raw);
    const paintOut = painter(process.stdout);
    const paintErr = painter(process.stderr);
    let done = 0;
    let failures = 0;

    const results = await fleet.forEach(
      members,
      (host, member) => {
        if (mode !== 'lines')
          return host.run(shape(command), { ...options, reject: false });
        if (raw) {
          return host.run(shape(command), {
            ...options,
            reject: false,
            onStdout: (chunk) => process.stdout.write(chunk),
            onStderr: (chunk) => process.stderr.write(chunk),
          });
        }
        const out = new LinePrefixer(`${paintOut('cyan', member.label)} | `, (lines) => {
          progress.print(process.stdout, lines);
        });
        const err = new LinePrefixer(
          `${paintErr('yellow', member.label)} ! `,
          (lines) => {
            progress.print(process.stderr, lines);
          },
        );
        return host
          .run(shape(command), {
            ...options,
            reject: false,
            onStdout: (chunk) => {
              out.push(chunk);
            },
            onStderr: (chunk) => {
              err.push(chunk);
            },
          })
          .finally(() => {
            out.flush();
            err.flush();
          });
      },
      {
        isOk: (result: RunResult) => result.ok,
        failFast: flags.failFast === true,
        onResult: (result) => {
          done += 1;
          if (result.status !== 'ok') failures += 1;
          if (mode === 'json')
            process.stdout.write(`${JSON.stringify(jsonRecord(result))}\n`);
          if (mode === 'group')
            progress.print(process.stdout, groupBlock(result, paintOut));
          progress.update(`${done}/${members.length} done, ${failures} failed`);
        },
      },
    );
    progress.done();

    for (const each of missing) {
      if (mode === 'json') {
        const record = { instance: each.target, status: 'failed', error: 'not found' };
        process.stdout.write(`${JSON.stringify(record)}\n`);
      }
    }
    if (!raw || results.some((result) => result.status !== 'ok')) {
      for (const line of summaryLines(results, missing, performance.now() - started)) {
        process.stderr.write(`${line}\n`);
      }
    }
    await recordRun('exec', results, missing);
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

// One argument after `--` is a shell string; several are an argv.
function shape(command: readonly string[]): string | readonly string[] {
  return command.length === 1 ? (command[0] ?? '') : command;
}

async function runOptions(flags: ExecFlags): Promise<RunOptions> {
  const env: Record<string, string> = {};
  for (const pair of flags.env ?? []) {
    const equals = pair.indexOf('=');
    if (equals <= 0) throw new UsageError(`--env takes KEY=VALUE, not \`${pair}\`.`);
    env[pair.slice(0, equals)] = pair.slice(equals + 1);
  }
  const input = await readInput(flags);
  const user = flags.user === undefined ? undefined : userValue(flags.user);
  return {
    env,
    ...(flags.cwd === undefined ? {} : { cwd: flags.cwd }),
    ...(user === undefined ? {} : { user }),
    ...(flags.group === undefined ? {} : { group: parseGid(flags.group) }),
    ...(flags.sudo === true ? { sudo: true } : {}),
    ...(flags.timeout === undefined ? {} : { timeout: parseDuration(flags.timeout) }),
    ...(input === undefined ? {} : { input }),
  };
}

function parseGid(value: string): number {
  if (!/^\d+$/.test(value)) {
    throw new UsageError(`--group takes a numeric gid such as 1000, not \`${value}\`.`);
  }
  return Number(value);
}

function userValue(user: string): string | number {
  return /^\d+$/.test(user) ? Number(user) : user;
}

async function readInput(flags: ExecFlags): Promise<Buffer | undefined> {
  if (flags.input !== undefined) {
    try {
      return await readFile(flags.input);
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? String(error);
      throw new UsageError(`--input ${flags.input} cannot be read (${reason}).`);
    }
  }
  if (flags.stdin === false || process.stdin.isTTY) return undefined;
  // Standard input that is not a terminal is the command's input, as with ssh;
  // an empty one is none.
  const data = Buffer.from(await text(process.stdin));
  return data.length === 0 ? undefined : data;
}

/** Parses a timeout: seconds, or a number with ms, s, m or h. */
export function parseDuration(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  const number = Number(match?.[1]);
  if (match === null || !(number > 0)) {
    throw new UsageError(
      `--timeout takes a duration such as 30s, 500ms or 2m, not \`${value}\`.`,
    );
  }
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? 's'] ?? 1000;
  return number * unit;
}

function jsonRecord(result: MemberResult<RunResult>) {
  const value = result.value;
  return {
    instance: result.member.instance.name,
    remote: result.member.remote.name,
    project: result.member.project,
    status: outcomeOf(result),
    exitCode: value?.exitCode ?? null,
    timedOut: value?.timedOut ?? false,
    stdout: value === undefined ? '' : String(value.stdout),
    stderr: value === undefined ? '' : String(value.stderr),
    durationMs: Math.round(result.durationMs),
    error: result.status === 'ok' ? null : reasonOf(result),
  };
}

function groupBlock(
  result: MemberResult<RunResult>,
  paint: ReturnType<typeof painter>,
): string {
  const value = result.value;
  const how = result.status === 'ok' ? `exit 0` : reasonOf(result);
  const header = paint(
    'bold',
    `── ${result.member.label} (${how}, ${Math.round(result.durationMs)} ms)`,
  );
  const body = [value?.stdout, value?.stderr]
    .map((part) => String(part ?? ''))
    .filter((part) => part !== '')
    .map((part) => `${part}\n`)
    .join('');
  return `${header}\n${body}`;
}
