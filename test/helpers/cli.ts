// Runs the built `lxd-api` binary the way a user would, against the sandbox.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { execa } from 'execa';

import { sandboxEnv } from './sandbox.js';

const binary = resolve(import.meta.dirname, '../../dist/cli/lxd-api.js');

/** A state folder of its own, so that --retry-failed sees only this test's runs. */
export function stateDir(): string {
  return mkdtempSync(join(tmpdir(), 'lxd-api-state-'));
}

/** Runs `lxd-api ARGS` and returns its exit code and both outputs, never throwing. */
export async function lxdApi(
  args: readonly string[],
  options: { input?: string; state?: string; env?: Record<string, string> } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const result = await execa('node', [binary, ...args], {
    env: {
      ...sandboxEnv(),
      LXD_API_STATE_DIR: options.state ?? stateDir(),
      NO_COLOR: '1',
      ...options.env,
    },
    extendEnv: false,
    ...(options.input === undefined ? { stdin: 'ignore' } : { input: options.input }),
    reject: false,
    stripFinalNewline: false,
    timeout: 60_000,
  });
  return {
    code: result.exitCode ?? -1,
    stdout: result.stdout,
    stderr: result.stderr,
  };
}
