import { readFileSync } from 'node:fs';

import { isNode, LineCounter, parseDocument, type Document } from 'yaml';

import { ConfigError } from '../errors.js';

/** A YAML file read and parsed, which can say where a field sits in it. */
export interface YamlFile {
  readonly file: string;
  /** The document as plain data; null for an empty file. */
  readonly data: unknown;
  /** The parsed document, with its comments and layout, for editing. */
  readonly document: Document;
  /** ` (line L:C)` for the field at `path`, or '' when it is not in the file. */
  readonly where: (path: readonly string[]) => string;
}

/**
 * Reads and parses `file`; undefined when it does not exist.
 *
 * @param display how messages write the path (`~/.config/lxc/config.yml`)
 * @param unreadable `skip` to take a file that cannot be read as missing
 */
export function readYamlFile(
  file: string,
  display: string = file,
  unreadable: 'throw' | 'skip' = 'throw',
): YamlFile | undefined {
  const text = readText(file, display, unreadable);
  if (text === undefined) return undefined;

  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const [error] = doc.errors;
  if (error !== undefined) {
    const pos = lineCounter.linePos(error.pos[0]);
    throw new ConfigError(
      `${display} is not valid YAML at line ${pos.line}:${pos.col}: ` +
        `${firstLine(error.message)}. Fix the file by hand or restore it from a backup.`,
      { file, cause: error },
    );
  }

  return {
    file,
    data: doc.toJS(),
    document: doc,
    where: (path) => whereIn(doc, lineCounter, path),
  };
}

function readText(
  file: string,
  display: string,
  unreadable: 'throw' | 'skip',
): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || unreadable === 'skip') return undefined;
    throw new ConfigError(
      `Cannot read ${display} (${code ?? String(error)}); check that it is a file ` +
        'and that its permissions let this user read it.',
      { file, cause: error },
    );
  }
}

function whereIn(
  doc: Document,
  lineCounter: LineCounter,
  path: readonly string[],
): string {
  const node: unknown = doc.getIn(path, true);
  if (!isNode(node) || node.range == null) return '';
  const pos = lineCounter.linePos(node.range[0]);
  return ` (line ${pos.line}:${pos.col})`;
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/\.$/u, '');
}
