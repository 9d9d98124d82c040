import { createWriteStream } from 'node:fs';
import { Writable } from 'node:stream';

import { LxdApiError } from '../errors.js';

/** Where one output stream of a command goes. */
export type OutputTarget =
  /** Kept in memory, up to `maxBuffer` bytes. */
  | 'buffer'
  /** Thrown away. */
  | 'ignore'
  /** Written to a stream of the caller's, which stays open. */
  | Writable
  /** Written to a local file, created or truncated. */
  | { readonly file: string };

/** Kept output went past the cap that protects memory. */
export class OutputLimitError extends LxdApiError {
  readonly stream: 'stdout' | 'stderr';
  readonly limit: number;

  constructor(stream: 'stdout' | 'stderr', limit: number, command: string, host: string) {
    super(
      'LXDAPI_OUTPUT_LIMIT',
      `The ${stream} of \`${command}\` on ${host} went past maxBuffer (${limit} bytes); ` +
        `raise maxBuffer, or send ${stream} to a stream or file instead of memory.`,
    );
    this.stream = stream;
    this.limit = limit;
  }
}

/** A sink for one output stream, and what it kept once the command ended. */
export interface OutputSink {
  readonly writable: Writable;
  /** The bytes kept in memory (empty unless the target is `buffer`). */
  kept(): Buffer;
  /** Whether the kept bytes were cut at the cap. */
  readonly overflowed: boolean;
  /** Ends what the sink opened itself (a file), waiting until it is flushed. */
  close(): Promise<void>;
}

/**
 * Makes the sink for one output stream. `onChunk` sees every byte as it arrives,
 * whatever the target.
 */
export function makeSink(
  target: OutputTarget,
  maxBuffer: number,
  onChunk?: (chunk: Buffer) => void,
): OutputSink {
  const chunks: Buffer[] = [];
  let size = 0;
  let overflowed = false;
  let file: Writable | undefined;
  let downstream: Writable | undefined;

  let failure: Error | undefined;
  if (typeof target === 'object' && 'file' in target) {
    file = createWriteStream(target.file);
    file.on('error', (error) => {
      failure = error;
    });
    downstream = file;
  } else if (target instanceof Writable) {
    downstream = target;
  }

  const writable = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (failure !== undefined) {
        done(failure);
        return;
      }
      onChunk?.(chunk);
      if (target === 'buffer') {
        // Past the cap, bytes are drained and dropped so the transfer still ends.
        const room = maxBuffer - size;
        if (chunk.length > room) overflowed = true;
        if (room > 0) chunks.push(room >= chunk.length ? chunk : chunk.subarray(0, room));
        size += Math.min(room, chunk.length);
        done();
      } else if (downstream !== undefined) {
        // Backpressure: the next chunk is read only once this one is taken.
        if (downstream.write(chunk)) done();
        else
          downstream.once('drain', () => {
            done();
          });
      } else {
        done();
      }
    },
  });

  return {
    writable,
    kept: () => Buffer.concat(chunks, size),
    get overflowed() {
      return overflowed;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        if (file === undefined || failure !== undefined) {
          if (failure === undefined) resolve();
          else reject(failure);
          return;
        }
        file.once('error', reject);
        file.end(() => {
          resolve();
        });
      }),
  };
}
