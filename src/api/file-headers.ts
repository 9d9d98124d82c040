// The headers in which the files API describes a path. LXD sends X-LXD-*, Incus
// sends X-Incus-*; both are read, whichever server this is.
import type { IncomingHttpHeaders } from 'node:http';

/** What a path is, as the files API names it. */
export type FileType = 'file' | 'directory' | 'symlink';

/** What the files API tells of a path in its answer's headers. */
export interface FileMeta {
  readonly type: FileType;
  /** Permission bits. Note: the server reports no setuid, setgid or sticky bit. */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /**
   * Bytes, where the answer tells them: a file's length, a symlink's target's
   * length; never a directory's.
   */
  readonly size: number | undefined;
  readonly modified: Date | undefined;
}

/** Reads a files-API answer's headers; undefined when they describe no path. */
export function parseFileHeaders(
  headers: IncomingHttpHeaders,
  status: number,
): FileMeta | undefined {
  const type = pick(headers, 'type');
  if (type !== 'file' && type !== 'directory' && type !== 'symlink') return undefined;
  const mode = Number.parseInt(pick(headers, 'mode') ?? '', 8);
  const uid = Number(pick(headers, 'uid'));
  const gid = Number(pick(headers, 'gid'));
  if (![mode, uid, gid].every(Number.isInteger)) return undefined;
  return {
    type,
    mode,
    uid,
    gid,
    size: type === 'directory' ? undefined : sizeOf(headers, status),
    modified: parseModified(pick(headers, 'modified')),
  };
}

function pick(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[`x-incus-${name}`] ?? headers[`x-lxd-${name}`];
  return Array.isArray(value) ? value[0] : value;
}

// A whole answer tells the size in Content-Length, a ranged one after the slash
// of Content-Range (`bytes 67-67/68`; `bytes 0--1/0` for an empty file).
function sizeOf(headers: IncomingHttpHeaders, status: number): number | undefined {
  const range = /\/(\d+)$/.exec(headers['content-range'] ?? '');
  if (range?.[1] !== undefined) return Number(range[1]);
  const length = headers['content-length'];
  if (status !== 200 || length === undefined) return undefined;
  return Number(length);
}

// Go's time format: `2026-12-03 19:08:48 +0000 UTC`, maybe with a fraction.
function parseModified(value: string | undefined): Date | undefined {
  const parts = /^(\S+) (\d\d:\d\d:\d\d)(\.\d+)? ([+-]\d\d)(\d\d)/.exec(value ?? '');
  if (parts === null) return undefined;
  const [, day, time, fraction = '', hours, minutes] = parts;
  const millis = (fraction || '.').slice(0, 4).padEnd(4, '0');
  const date = new Date(
    `${day ?? ''}T${time ?? ''}${millis}${hours ?? ''}:${minutes ?? ''}`,
  );
  return Number.isNaN(date.getTime()) ? undefined : date;
}
