// The baselines: the real `lxc` or `incus` client, one process per operation, as a
// user or a script runs it, through the same proxy and configuration as ours.
import { execa } from 'execa';

import type { Rig } from '../rig.js';

/** What a client's run must have printed, checked after every run. */
export type OutputCheck = (stdout: Buffer) => string | undefined;

/** Runs the rig's client with `args`; rejects when it fails or prints wrongly. */
export function clientCommand(
  rig: Rig,
  args: readonly string[],
  options: { input?: Buffer; check?: OutputCheck } = {},
): () => Promise<void> {
  return async () => {
    const result = await execa(rig.server.client, args, {
      env: rig.env,
      encoding: 'buffer',
      stripFinalNewline: false,
      reject: false,
      ...(options.input === undefined ? { stdin: 'ignore' } : { input: options.input }),
    });
    const wrong =
      result.exitCode === 0 ? options.check?.(Buffer.from(result.stdout)) : undefined;
    if (result.exitCode !== 0 || wrong !== undefined) {
      const stderr = Buffer.from(result.stderr).toString('utf8').trim();
      throw new Error(
        `\`${rig.server.client} ${args.join(' ')}\` ${wrong ?? `failed: ${stderr}`}`,
      );
    }
  };
}

/** Checks that the output is exactly `expected`. */
export function outputIs(expected: string | number): OutputCheck {
  return (stdout) => {
    const actual = typeof expected === 'number' ? stdout.length : stdout.toString();
    return actual === expected
      ? undefined
      : `printed ${String(actual)} where ${String(expected)} was expected`;
  };
}
