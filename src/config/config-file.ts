import { ConfigError } from '../errors.js';
import type { Family } from './family.js';
import type { YamlFile } from './yaml-file.js';

/** The fields of one remote as a `config.yml` writes them; unset ones are undefined. */
export interface RemoteFields {
  readonly addr: string | undefined;
  readonly protocol: string | undefined;
  readonly authType: string | undefined;
  readonly project: string | undefined;
  readonly public: boolean | undefined;
  /** Incus only: seconds to keep an idle connection through the client's proxy. */
  readonly keepalive: number | undefined;
  /** Incus 7 only: which of several comma-separated `addr` worked last. */
  readonly lastWorkingAddress: string | undefined;
}

/** What a `config.yml` says, its types checked; the values are checked where used. */
export interface ConfigFileContent {
  readonly defaultRemote: string | undefined;
  readonly remotes: ReadonlyMap<string, RemoteFields>;
}

/**
 * Checks the shape and the types of a parsed `config.yml`.
 *
 * Note: unknown keys (`aliases`, newer fields) are ignored, as the clients'
 * YAML decoders ignore them; a value of the wrong type fails the whole file,
 * as it fails the clients' decoding.
 */
export function parseConfigFile(
  yaml: YamlFile,
  family: Family,
  display: string,
): ConfigFileContent {
  const check = new FieldChecker(yaml, display);
  const top = yaml.data ?? {};
  if (!isMapping(top)) {
    throw new ConfigError(
      `${display} holds ${describe(top)} where a mapping with \`default-remote\` and ` +
        '`remotes` belongs; fix the file by hand or restore it from a backup.',
      { file: yaml.file },
    );
  }

  const defaultRemote = check.string(top, ['default-remote']);
  const remotesValue = top.remotes ?? {};
  if (!isMapping(remotesValue)) throw check.notMapping(['remotes'], remotesValue);

  const remotes = new Map<string, RemoteFields>();
  for (const [name, value] of Object.entries(remotesValue)) {
    remotes.set(name, parseRemote(check, family, name, value ?? {}));
  }
  return { defaultRemote, remotes };
}

type Mapping = Record<string, unknown>;

function parseRemote(
  check: FieldChecker,
  family: Family,
  name: string,
  value: unknown,
): RemoteFields {
  const path = ['remotes', name];
  if (!isMapping(value)) throw check.notMapping(path, value);

  const incus = family === 'incus';
  return {
    addr: check.string(value, [...path, 'addr']),
    protocol: check.string(value, [...path, 'protocol']),
    authType: check.string(value, [...path, 'auth_type']),
    project: check.string(value, [...path, 'project']),
    public: check.boolean(value, [...path, 'public']),
    keepalive: incus ? check.count(value, [...path, 'keepalive']) : undefined,
    lastWorkingAddress: incus
      ? check.string(value, [...path, 'last_working_address'])
      : undefined,
  };
}

// Reads one field at a time; a null value counts as unset, as for the clients.
class FieldChecker {
  readonly #yaml: YamlFile;
  readonly #display: string;

  constructor(yaml: YamlFile, display: string) {
    this.#yaml = yaml;
    this.#display = display;
  }

  string(parent: Mapping, path: readonly string[]): string | undefined {
    const value = this.#value(parent, path);
    if (value === undefined || typeof value === 'string') return value;
    const key = path.at(-1) ?? '';
    const fix = isScalar(value) ? `: quote it, \`${key}: "${String(value)}"\`` : '';
    throw this.#error(path, value, `it must be a string${fix}`);
  }

  boolean(parent: Mapping, path: readonly string[]): boolean | undefined {
    const value = this.#value(parent, path);
    if (value === undefined || typeof value === 'boolean') return value;
    const key = path.at(-1) ?? '';
    const fix = `write \`${key}: true\` or \`${key}: false\``;
    throw this.#error(path, value, `it must be true or false: ${fix}`);
  }

  count(parent: Mapping, path: readonly string[]): number | undefined {
    const value = this.#value(parent, path);
    if (value === undefined) return undefined;
    if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
    throw this.#error(path, value, 'it must be a whole number of seconds, 0 or more');
  }

  notMapping(path: readonly string[], value: unknown): ConfigError {
    return this.#error(path, value, 'it must be a mapping of names to fields');
  }

  #value(parent: Mapping, path: readonly string[]): unknown {
    const key = path.at(-1) ?? '';
    return Object.hasOwn(parent, key) ? (parent[key] ?? undefined) : undefined;
  }

  #error(path: readonly string[], value: unknown, rule: string): ConfigError {
    const field = path.join('.');
    const where = `${this.#display}${this.#yaml.where(path)}`;
    return new ConfigError(`${field} in ${where} is ${describe(value)}; ${rule}.`, {
      file: this.#yaml.file,
      field,
    });
  }
}

function isMapping(value: unknown): value is Mapping {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isScalar(value: unknown): value is string | number | boolean | bigint {
  return ['string', 'number', 'boolean', 'bigint'].includes(typeof value);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null || value === undefined) return 'empty';
  switch (typeof value) {
    case 'string':
      return `the string \`${value}\``;
    case 'number':
    case 'bigint':
      return `the number ${value.toString()}`;
    case 'boolean':
      return `\`${String(value)}\``;
    case 'object':
      return 'a mapping';
    default:
      return `a ${typeof value}`;
  }
}
