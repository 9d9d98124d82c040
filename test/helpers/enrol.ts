// A fresh machine for enrolment tests: empty lxc and incus config folders under a
// home of their own, and the real clients pointed at them.
import { join } from 'node:path';

import { execa } from 'execa';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';

import type { ServerDescription } from '../../sandbox/description.js';
import { scratchDir } from './scratch.js';

/** An empty home with the lxc and incus config folders (not yet created) in it. */
export interface FreshMachine {
  readonly home: string;
  readonly lxcDir: string;
  readonly incusDir: string;
  /** ConfigOptions that keep every look-up inside this home. */
  readonly options: { env: Record<string, string>; home: string };
  /** The config folder of `server`'s client. */
  dirFor(server: ServerDescription): string;
  /** Runs `server`'s real client against this machine's config. */
  client(server: ServerDescription, args: readonly string[]): Promise<string>;
  /** The parsed config.yml of `server`'s client. */
  configOf(server: ServerDescription): ConfigYaml;
}

/** A config.yml as the tests read it. */
export interface ConfigYaml {
  readonly 'default-remote'?: string;
  readonly remotes: Record<string, Record<string, unknown>>;
  readonly aliases?: unknown;
}

/** Makes a fresh machine in a new scratch folder. */
export function freshMachine(): FreshMachine {
  const home = scratchDir('enrol-');
  const lxcDir = join(home, 'lxc');
  const incusDir = join(home, 'incus');
  const env = { HOME: home, LXD_CONF: lxcDir, INCUS_CONF: incusDir };
  const dirFor = (server: ServerDescription) =>
    server.kind === 'lxd' ? lxcDir : incusDir;
  return {
    home,
    lxcDir,
    incusDir,
    options: { env, home },
    dirFor,
    client: async (server, args) => {
      const result = await execa(server.client, args, {
        env: { ...env, PATH: process.env.PATH ?? '' },
        extendEnv: false,
        stdin: 'ignore',
      });
      return result.stdout;
    },
    configOf: (server) =>
      parse(readFileSync(join(dirFor(server), 'config.yml'), 'utf8')) as ConfigYaml,
  };
}
