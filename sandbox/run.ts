import { execa, type Options } from 'execa';

import { SandboxError } from './log.js';

/** Runs a program to completion and returns its standard output, trimmed. */
export async function run(
  file: string,
  args: readonly string[],
  options: Options & { env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  const result = await execa(file, args, { stdin: 'ignore', ...options, reject: false });
  if (result.failed) {
    const detail =
      String(result.stderr ?? '').trim() || String(result.stdout ?? '').trim();
    const why = result.exitCode === undefined ? result.shortMessage : detail;
    throw new SandboxError(`\`${file} ${args.join(' ')}\` failed: ${why}`);
  }
  return String(result.stdout ?? '').trim();
}

/** Runs a program and tells whether it succeeded, for probes that may fail. */
export async function succeeds(
  file: string,
  args: readonly string[],
  options: Options = {},
): Promise<boolean> {
  const result = await execa(file, args, { stdin: 'ignore', ...options, reject: false });
  return !result.failed;
}
