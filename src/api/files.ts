// The files API of an instance: GET, POST and DELETE on
// /1.0/instances/<name>/files?path=…, typed, with no policy of their own. What the
// server does on its own (keeping modes on overwrite, no parents, symlinks read as
// their target) is for the host layer to turn into what users expect.
import type { Readable } from 'node:stream';

import type { Connection, HttpRequest, HttpResponse } from '../transport/transport.js';
import type { LxdApi } from './api-client.js';
import { ApiError } from './errors.js';
import { parseFileHeaders, type FileMeta } from './file-headers.js';
import type { ServerFacts } from './server-facts.js';

export { parseFileHeaders, type FileMeta, type FileType } from './file-headers.js';

/** Options of a file written through the files API. */
export interface FileWrite {
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
  readonly type?: 'file' | 'directory' | 'symlink';
  readonly write?: 'overwrite' | 'append';
}

/** A GET's answer: a stream of bytes, or a directory's entry names. */
export type FileRead =
  | {
      /** A file's bytes, or a symlink's target as an absolute path. */
      readonly kind: 'content';
      readonly meta: FileMeta;
      /** Must be consumed or destroyed: the socket is held until then. */
      readonly body: HttpResponse['body'];
    }
  | { readonly kind: 'listing'; readonly meta: FileMeta; readonly entries: string[] };

/** Options every files-API call takes. */
export interface FileRequestOptions {
  readonly signal?: AbortSignal;
  /** A socket leased with `withConnection`, to pipeline the call behind others. */
  readonly via?: Connection;
}

/** The path of an instance's file in the files API; `path` must be absolute. */
export function instanceFileUrl(instance: string, path: string): string {
  const name = encodeURIComponent(instance);
  return `/1.0/instances/${name}/files?path=${encodeURIComponent(path)}`;
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

/**
 * `GET`: a file's bytes as a stream, or a directory's entries. Note: on a symlink
 * the server sends the link's target made absolute, never the bytes behind it.
 */
export async function readFile(
  api: LxdApi,
  instance: string,
  path: string,
  options: FileRequestOptions & { readonly range?: string } = {},
): Promise<FileRead> {
  const request: HttpRequest = {
    method: 'GET',
    path: api.path(instanceFileUrl(instance, path)),
    ...(options.range === undefined ? {} : { headers: { range: options.range } }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
  const response = await send(api, request, options.via);
  const meta = parseFileHeaders(response.headers, response.statusCode);
  if (meta === undefined) {
    // No file headers: an error, which the server sends as JSON.
    await api.decode<unknown>(request, response);
    throw unexpected(api, request, response.statusCode);
  }
  if (meta.type === 'directory') {
    const entries = await api.decode<string[] | null>(request, response);
    return { kind: 'listing', meta, entries: entries ?? [] };
  }
  return { kind: 'content', meta, body: response.body };
}

/**
 * The metadata of a path without its bytes: a GET of the last byte
 * (`Range: bytes=-1`), whose answer carries the file headers and the size in
 * Content-Range, and whose body is read to the end so that the socket stays
 * usable. A large file is never downloaded.
 *
 * Note: a suffix range, because LXD 5.0 answers `bytes=0-0` on an empty file with
 * a 416 and then closes the connection; `-1` gets a 206 of no bytes there. And not
 * HEAD, though both servers have `instance_file_head`: its answer has no
 * Content-Length for a directory or a symlink (nor for anything on LXD 5.0), and
 * an HTTP/1.1 client that cannot tell where such an answer ends drops the socket.
 */
export async function statFile(
  api: LxdApi,
  instance: string,
  path: string,
  options: FileRequestOptions = {},
): Promise<FileMeta> {
  const request: HttpRequest = {
    method: 'GET',
    path: api.path(instanceFileUrl(instance, path)),
    headers: { range: 'bytes=-1' },
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
  const response = await send(api, request, options.via);
  const meta = parseFileHeaders(response.headers, response.statusCode);
  if (meta === undefined) {
    await api.decode<unknown>(request, response);
    throw unexpected(api, request, response.statusCode);
  }
  // One byte, or a directory's listing: small. A body past the limit (a server
  // that ignored the range) costs the socket rather than a download.
  await response.body.dump({ limit: 1 << 20 });
  return meta;
}

/** `POST`: writes a file, creates a directory, or creates a symlink to `body`. */
export async function writeFile(
  api: LxdApi,
  facts: ServerFacts,
  instance: string,
  path: string,
  body: Buffer | Readable,
  file: FileWrite,
  options: FileRequestOptions = {},
): Promise<void> {
  const request: HttpRequest = {
    method: 'POST',
    path: api.path(instanceFileUrl(instance, path)),
    headers: fileWriteHeaders(facts, file),
    body,
    // Writing the same bytes again leaves the same file; a stream cannot be
    // replayed, and the transport never resends one.
    idempotent: Buffer.isBuffer(body) && file.write !== 'append',
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
  await api.decode<unknown>(request, await send(api, request, options.via));
}

/** `DELETE`: a file, a symlink or an empty directory. */
export async function deleteFile(
  api: LxdApi,
  instance: string,
  path: string,
  options: FileRequestOptions = {},
): Promise<void> {
  const request: HttpRequest = {
    method: 'DELETE',
    path: api.path(instanceFileUrl(instance, path)),
  };
  await api.decode<unknown>(request, await send(api, request, options.via));
}

function send(api: LxdApi, request: HttpRequest, via?: Connection) {
  return via === undefined ? api.transport.request(request) : via.send(request);
}

function unexpected(api: LxdApi, request: HttpRequest, status: number): ApiError {
  const what = `${request.method} ${request.path}`;
  return new ApiError(
    `Remote \`${api.remote}\` answered ${what} with status ${status} but without ` +
      'the headers that describe a file.',
    { remote: api.remote, request: what, status, serverMessage: '' },
  );
}
