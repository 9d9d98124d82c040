import { run } from './run.js';
import type { ServerKind } from './servers.js';

/** Runs one server's command-line client against a given config folder. */
export type Client = (args: readonly string[]) => Promise<string>;

/** A client bound to a config folder, deaf to the user's own remote settings. */
export function makeClient(kind: ServerKind, confDir: string): Client {
  const env: NodeJS.ProcessEnv = { ...process.env, [kind.confVariable]: confDir };
  // These would redirect the default remote away from the folder's own.
  delete env.LXC_REMOTE;
  delete env.INCUS_REMOTE;
  return (args) => run(kind.client, args, { env, extendEnv: false });
}

/** Parses the first column of `--format csv` output into a set of names. */
export function csvNames(output: string): Set<string> {
  return new Set(
    output
      .split('\n')
      .map((line) => line.split(',')[0]?.trim() ?? '')
      .filter((name) => name !== ''),
  );
}
