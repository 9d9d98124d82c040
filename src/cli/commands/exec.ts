import { readFile } from 'node:fs/promises';
import { text } from 'node:stream/consumers';

import type { MemberResult } from '../../fleet/fleet.js';
import type { Host } from '../../host/host.js';
import type { RunOptions, RunResult } from '../../host/run.js';
import { fanOut, type FanOutPlan } from '../fan-out.js';
import { LinePrefixer } from '../lines.js';
import { Progress } from '../progress.js';
import { painter } from '../style.js';
import { outcomeOf, reasonOf } from '../summary.js';
import type { TargetFlags } from '../targets.js';
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
  readonly session?: boolean;
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
  const mode =
    flags.json === true ? 'json' : flags.groupOutput === true ? 'group' : 'lines';
  const paintOut = painter(process.stdout);
  const paintErr = painter(process.stderr);

  return fanOut('exec', targets, flags, (members, missing): FanOutPlan<RunResult> => {
    // A single instance's output goes through untouched, as ssh would give it.
    const raw = mode === 'lines' && members.length === 1 && missing.length === 0;
    const progress = new Progress(process.stderr, mode !== 'json' && !raw);
    let done = 0;
    let failures = 0;
    const run = (host: Host, extra: RunOptions = {}) =>
      host.run(shape(command), { ...options, ...extra, reject: false });

    return {
      task: (host, member) => {
        if (mode !== 'lines') return run(host);
        if (raw) {
          return run(host, {
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
        return run(host, {
          onStdout: (chunk) => {
            out.push(chunk);
          },
          onStderr: (chunk) => {
            err.push(chunk);
          },
        }).finally(() => {
          out.flush();
          err.flush();
        });
      },
      isOk: (result) => result.ok,
      onResult: (result) => {
        done += 1;
        if (result.status !== 'ok') failures += 1;
        if (mode === 'json')
          process.stdout.write(`${JSON.stringify(jsonRecord(result))}\n`);
        if (mode === 'group')
          progress.print(process.stdout, groupBlock(result, paintOut));
        progress.update(`${done}/${members.length} done, ${failures} failed`);
      },
      finished: () => {
        progress.done();
        if (mode !== 'json') return;
        for (const each of missing) {
          const record = { instance: each.target, status: 'failed', error: 'not found' };
          process.stdout.write(`${JSON.stringify(record)}\n`);
        }
      },
      summary: (results) => !raw || results.some((result) => result.status !== 'ok'),
    };
  });
}

// One argument after `--` is a shell string; several are an argv.
function shape(command: readonly string[]): string | readonly string[] {
  return command.length === 1 ? (command[0] ?? '') : command;
}

async function runOptions(flags: ExecFlags): Promise<RunOptions> {
  const env: Record<string, string> = {};
  for (const pair of flags.env ?? []) {
    const equals = pair.indexOf('=');
    // The value is never shown: environments carry secrets.
    if (equals <= 0) {
      throw new UsageError(
        `--env takes KEY=VALUE; an --env value has no KEY before its \`=\` ` +
          `(${equals < 0 ? 'it has no `=`' : 'it starts with `=`'}).`,
      );
    }
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
    // A person asked for speed, not for failure: where WebSockets cannot be
    // opened, the command still runs, with record-output.
    ...(flags.session === true ? { mode: 'session', fallback: true } : {}),
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
