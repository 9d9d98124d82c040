// Commands: `true` on a warm connection, a command that prints 1 MB, and one that
// reads 4 KB of input; ours through the library, with record-output and in a
// session, the baseline through the client.
import type { Host } from '../../src/host/host.js';
import type { RunMode, RunOptions } from '../../src/host/run.js';
import { measure, type Operation, type Subject } from '../measure.js';
import type { Measurement, ScenarioId } from '../results.js';
import type { Rig } from '../rig.js';
import { clientCommand, outputIs, type OutputCheck } from './client-command.js';

/** A command of the exec scenarios, and what it must print. */
interface ExecCase {
  readonly argv: readonly string[];
  readonly input?: Buffer;
  readonly expect: string | number;
}

const megabyte = 1_000_000;

export const execCases = {
  'exec-true': { argv: ['true'], expect: '' },
  'exec-1mb': { argv: ['head', '-c', String(megabyte), '/dev/zero'], expect: megabyte },
  'exec-input': { argv: ['wc', '-c'], input: Buffer.alloc(4096, 'x'), expect: '4096\n' },
} as const satisfies Record<string, ExecCase>;

export type ExecScenario = keyof typeof execCases;

/** The id of an exec scenario's measurement in a mode: `exec-1mb`, `session-1mb`. */
export function scenarioIn(scenario: ExecScenario, mode: RunMode): ScenarioId {
  return mode === 'record'
    ? scenario
    : (scenario.replace('exec-', 'session-') as ScenarioId);
}

/** Our `host.run` of one exec scenario, `runs` times on the warm host. */
export async function measureOurExec(
  rig: Rig,
  host: Host,
  scenario: ExecScenario,
  rttMs: number,
  runs: number,
  mode: RunMode = 'record',
): Promise<Measurement> {
  const subject: Subject = {
    scenario: scenarioIn(scenario, mode),
    tool: 'lxd-api',
    server: rig.kind,
    rttMs,
  };
  return measure(subject, rig.proxy, ourExec(host, scenario, mode), runs);
}

/** The client's `exec` of one scenario, a process per run. */
export async function measureClientExec(
  rig: Rig,
  instance: string,
  scenario: ExecScenario,
  rttMs: number,
  runs: number,
): Promise<Measurement> {
  const tool = rig.server.client;
  const subject: Subject = { scenario, tool, server: rig.kind, rttMs };
  return measure(subject, rig.proxy, clientExec(rig, instance, scenario), runs);
}

/** Our run of an exec scenario's command, checked. */
export function ourExec(
  host: Host,
  scenario: ExecScenario,
  mode: RunMode = 'record',
): Operation {
  const command: ExecCase = execCases[scenario];
  const check = outputIs(command.expect);
  const options: RunOptions = {
    encoding: 'buffer',
    mode,
    ...(command.input === undefined ? {} : { input: command.input }),
  };
  return {
    run: async () => {
      const result = await host.run([...command.argv], options);
      failOn(check(result.stdout as Buffer), `lxd-api ${command.argv.join(' ')}`);
    },
    stats: () => host.api.transport.stats,
  };
}

/** The client's `exec` of an exec scenario's command, checked. */
export function clientExec(
  rig: Rig,
  instance: string,
  scenario: ExecScenario,
): Operation {
  const command: ExecCase = execCases[scenario];
  const args = ['exec', `${rig.remote}:${instance}`, '--', ...command.argv];
  const run = clientCommand(rig, args, {
    check: outputIs(command.expect),
    ...(command.input === undefined ? {} : { input: command.input }),
  });
  return { run };
}

function failOn(wrong: ReturnType<OutputCheck>, what: string): void {
  if (wrong !== undefined) throw new Error(`\`${what}\` ${wrong}`);
}
