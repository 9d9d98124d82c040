import { writeFile, type FileWrite } from '../api/files.js';
import { AbortError } from '../transport/errors.js';
import { FileSourceError, LocalFileError } from './file-errors.js';
import { failedAt, fileFailure, type FileContext } from './file-failure.js';
import type { SourceBody } from './file-source.js';
import type { Host } from './host.js';

/**
 * Sends an opened source to `path` as a new or overwritten file, then checks how
 * the source ended: a failed or aborted source ended the body early, so the server
 * wrote only a part of it, and the error says so.
 */
export async function upload(
  host: Host,
  opened: SourceBody,
  path: string,
  headers: FileWrite,
  context: FileContext,
  signal: AbortSignal | undefined,
): Promise<void> {
  const { api, facts, name } = host;
  const file: FileWrite = { type: 'file', write: 'overwrite', ...headers };
  try {
    await writeFile(api, facts, name, path, opened.body, file);
  } catch (error) {
    throw (
      sourceFailure(host, opened, context, signal) ?? fileFailure(error, context, path)
    );
  }
  const failed = sourceFailure(host, opened, context, signal);
  if (failed !== undefined) throw failed;
}

/** The error for a source that stopped early, or undefined when it did not. */
export function sourceFailure(
  host: Host,
  opened: SourceBody,
  context: FileContext,
  signal: AbortSignal | undefined,
): Error | undefined {
  const cause = opened.failure();
  if (cause === undefined) return undefined;
  const bytes = opened.bytes();
  if (signal?.aborted === true) {
    return new AbortError(`${failedAt(context)}: aborted after ${bytes} bytes.`, {
      remote: host.remote.name,
      sent: 'yes',
      cause,
    });
  }
  const reason = (cause as NodeJS.ErrnoException).code;
  const said = cause instanceof Error ? cause.message : 'not an Error';
  if (cause instanceof Error && typeof reason === 'string' && 'syscall' in cause) {
    return new LocalFileError(
      `${failedAt(context)}: reading the local source failed after ${bytes} bytes ` +
        `(${said}).`,
      {
        ...context,
        localPath: String((cause as { path?: unknown }).path),
        reason,
        cause,
      },
    );
  }
  return new FileSourceError(
    `${failedAt(context)}: the source stream failed after ${bytes} bytes (${said}). ` +
      'Check the stream, then send again.',
    { ...context, bytes, cause },
  );
}
