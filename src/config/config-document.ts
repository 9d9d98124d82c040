import { Document, isMap, isScalar, YAMLMap, type Node as YamlNode } from 'yaml';

import { ConfigError } from '../errors.js';
import type { Family } from './family.js';
import { readYamlFile } from './yaml-file.js';

/** The fields of a remote this library writes, as `lxc remote add` writes them. */
export interface NewRemote {
  readonly addr: string;
  readonly protocol: string;
  /** Left out of the file when undefined or `''`: the server's default project. */
  readonly project?: string | undefined;
}

/**
 * A `config.yml` as an editable YAML document. Editing touches only what it
 * names: other remotes, `aliases`, unknown fields and comments stay as they were.
 */
export class ConfigDocument {
  readonly file: string;
  /** Whether the file existed; a new one starts as the client would write it. */
  readonly existed: boolean;
  readonly #doc: Document;

  private constructor(file: string, existed: boolean, doc: Document) {
    this.file = file;
    this.existed = existed;
    this.#doc = doc;
  }

  /** Reads `file`, or starts the document the `family` client writes on first use. */
  static load(family: Family, file: string, display: string): ConfigDocument {
    const yaml = readYamlFile(file, display);
    if (yaml === undefined) {
      return new ConfigDocument(file, false, new Document(firstConfig(family)));
    }
    return new ConfigDocument(file, true, yaml.document);
  }

  /** Adds `name`, or replaces it whole, keeping the remotes sorted as the clients do. */
  setRemote(name: string, remote: NewRemote): void {
    const remotes = this.#remotes();
    const node = this.#doc.createNode(remoteFields(remote));
    const pair = this.#doc.createPair(name, node);
    const at = remotes.items.findIndex((item) => keyOf(item.key) === name);
    if (at !== -1) {
      remotes.items[at] = pair;
      return;
    }
    const after = remotes.items.findIndex((item) => keyOf(item.key) > name);
    remotes.items.splice(after === -1 ? remotes.items.length : after, 0, pair);
  }

  /** Removes `name` from `remotes`. */
  deleteRemote(name: string): void {
    const remotes = this.#doc.get('remotes', true);
    if (!isMap(remotes)) return;
    const at = remotes.items.findIndex((item) => keyOf(item.key) === name);
    if (at !== -1) remotes.items.splice(at, 1);
  }

  /** Sets `default-remote`; placed first, as the clients write it, when new. */
  setDefaultRemote(name: string): void {
    const top = this.#doc.contents;
    if (isMap(top) && !top.has('default-remote')) {
      top.items.unshift(this.#doc.createPair('default-remote', name));
      return;
    }
    this.#doc.set('default-remote', name);
  }

  /** The YAML text, with everything not edited written back as it was read. */
  toString(): string {
    return this.#doc.toString({ lineWidth: 0, flowCollectionPadding: false });
  }

  #remotes(): YAMLMap {
    const remotes = this.#doc.get('remotes', true);
    if (isMap(remotes)) {
      remotes.flow = false;
      return remotes;
    }
    if (remotes != null && !(isScalar(remotes) && remotes.value == null)) {
      throw new ConfigError(
        `remotes in ${this.file} is not a mapping; fix the file by hand first.`,
        { file: this.file, field: 'remotes' },
      );
    }
    const created = new YAMLMap();
    this.#doc.set('remotes', created);
    return created;
  }
}

// The field order of the clients' Remote struct, which their YAML encoder keeps.
function remoteFields(remote: NewRemote): Record<string, string | boolean> {
  const project = remote.project ?? '';
  return {
    addr: remote.addr,
    auth_type: 'tls',
    ...(project === '' ? {} : { project }),
    protocol: remote.protocol,
    public: false,
  };
}

// What the clients write when they save a config for the first time: the default
// remote `local` and the default remotes that are not built in. Every default of
// `lxc` 5.21 and later is built in but `local`; Incus keeps `images` in the file.
function firstConfig(family: Family): Record<string, unknown> {
  const local =
    family === 'lxd'
      ? { addr: 'unix://', public: false }
      : { addr: 'unix://', protocol: 'incus', public: false };
  const images = {
    addr: 'https://images.linuxcontainers.org',
    protocol: 'simplestreams',
    public: true,
  };
  return {
    'default-remote': 'local',
    remotes: family === 'lxd' ? { local } : { images, local },
    aliases: {},
  };
}

function keyOf(key: unknown): string {
  const node = key as YamlNode | string | null;
  if (isScalar(node)) return String(node.value);
  return typeof node === 'string' ? node : '';
}
