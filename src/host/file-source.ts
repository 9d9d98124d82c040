import { open } from 'node:fs/promises';
import { PassThrough, Readable } from 'node:stream';

import { LocalFileError } from './file-errors.js';
import type { FileContext } from './file-failure.js';

/**
 * What putFile sends: a local file's path, bytes, text as `{ text }` (sent as
 * UTF-8), or a readable stream. A plain string is always a path, as for `cp`.
 */
export type FileSource = string | Uint8Array | { readonly text: string } | Readable;

/**
 * A source opened for sending. Its body always ends cleanly, even when the source
 * fails or the caller aborts: the server then answers the upload as a whole, and
 * the caller knows for sure what it wrote and can remove it, on the same socket.
 */
export interface SourceBody {
  readonly body: PassThrough;
  /** Bytes read from the source so far. */
  bytes(): number;
  /** Why the source stopped before its end, when it did. */
  failure(): unknown;
  /** Stops reading and lets go of the source; safe to call more than once. */
  close(): void;
}

/**
 * Opens a source. A local file is opened at once, so that a missing or unreadable
 * one fails before anything is sent.
 */
export async function openSource(
  source: FileSource,
  context: FileContext,
  signal?: AbortSignal,
): Promise<SourceBody> {
  let stream: Readable;
  if (typeof source === 'string') {
    stream = await openLocal(source, context);
  } else if (source instanceof Uint8Array) {
    const bytes = Buffer.from(source.buffer, source.byteOffset, source.length);
    stream = Readable.from([bytes]);
  } else if (source instanceof Readable) {
    stream = source;
  } else {
    stream = Readable.from([Buffer.from(source.text)]);
  }
  return pumped(stream, signal);
}

async function openLocal(file: string, context: FileContext): Promise<Readable> {
  const fail = (reason: string, why: string, fix: string, cause?: unknown) =>
    new LocalFileError(
      `Writing \`${context.path}\` on ${context.host} failed: the local file ` +
        `\`${file}\` ${why}. ${fix}`,
      { ...context, localPath: file, reason, cause },
    );
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
    if (code === 'ENOENT') {
      throw fail(code, 'does not exist', 'Check the path.', error);
    }
    throw fail(code, `cannot be opened (${code})`, 'Check its permissions.', error);
  }
  if ((await handle.stat()).isDirectory()) {
    await handle.close();
    throw fail('EISDIR', 'is a directory', 'Send a directory with putTree.');
  }
  return handle.createReadStream({ highWaterMark: 256 * 1024 });
}

function pumped(source: Readable, signal?: AbortSignal): SourceBody {
  const body = new PassThrough({ highWaterMark: 256 * 1024 });
  const state: { bytes: number; failure: unknown } = { bytes: 0, failure: undefined };
  const onAbort = () => {
    source.destroy(signal?.reason as Error);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted === true) onAbort();

  void (async () => {
    try {
      for await (const chunk of source as AsyncIterable<Buffer | string>) {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        state.bytes += bytes.length;
        if (body.destroyed) break;
        if (!body.write(bytes)) await drained(body);
      }
    } catch (error) {
      state.failure = signal?.aborted === true ? signal.reason : error;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    if (!body.destroyed) body.end();
  })();

  return {
    body,
    bytes: () => state.bytes,
    failure: () => state.failure,
    close: () => {
      signal?.removeEventListener('abort', onAbort);
      body.destroy();
      source.destroy();
    },
  };
}

// Resolves when the body can take more, or will never take any.
function drained(body: PassThrough): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      body.off('drain', done);
      body.off('close', done);
      resolve();
    };
    body.on('drain', done);
    body.on('close', done);
  });
}
