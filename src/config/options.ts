import { lstatSync } from 'node:fs';
import { homedir } from 'node:os';

/** Where the config layer looks: the environment and the files, both replaceable. */
export interface ConfigOptions {
  /** Environment variables to honour; `process.env` when absent. */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  /** The user's home folder; `$HOME` of `env`, else the OS's answer, when absent. */
  readonly home?: string | undefined;
  /** Whether a path exists (a dangling symlink counts); `lstat` when absent. */
  readonly pathExists?: ((path: string) => boolean) | undefined;
}

/** Options with every default filled in. */
export interface FullConfigOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly home: string;
  readonly pathExists: (path: string) => boolean;
}

/** Fills in the defaults of `options`. */
export function normalizeOptions(options: ConfigOptions = {}): FullConfigOptions {
  const env = options.env ?? process.env;
  const home = options.home ?? envValue(env, 'HOME') ?? homedir();
  return { env, home, pathExists: options.pathExists ?? lstatExists };
}

/**
 * The value of an environment variable, or undefined when it is unset or empty.
 *
 * Note: the clients treat an empty variable as unset (`os.Getenv(…) != ""`).
 */
export function envValue(
  env: Readonly<Record<string, string | undefined>>,
  name: string,
): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

function lstatExists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
