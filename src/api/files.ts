import type { ServerFacts } from './server-facts.js';

/** Options of a file written through the files API. */
export interface FileWrite {
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
  readonly type?: 'file' | 'directory' | 'symlink';
  readonly write?: 'overwrite' | 'append';
}

/** The path of an instance's file in the files API; `path` must be absolute. */
export function instanceFileUrl(instance: string, path: string): string {
  return `/1.0/instances/${encodeURIComponent(instance)}/files?path=${encodeURIComponent(path)}`;
}

/**
 * Headers of a files-API write. The mode goes out in octal with a leading 0: the
 * server reads `644` as decimal. The body is octet-stream because the server reads
 * `path` with a form parser, which would swallow a form-encoded body.
 */
export function fileWriteHeaders(
  facts: ServerFacts,
  file: FileWrite,
): Record<string, string> {
  const prefix = facts.fileHeaderPrefix;
  const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
  if (file.mode !== undefined) headers[`${prefix}mode`] = `0${file.mode.toString(8)}`;
  if (file.uid !== undefined) headers[`${prefix}uid`] = String(file.uid);
  if (file.gid !== undefined) headers[`${prefix}gid`] = String(file.gid);
  if (file.type !== undefined) headers[`${prefix}type`] = file.type;
  if (file.write !== undefined) headers[`${prefix}write`] = file.write;
  return headers;
}
