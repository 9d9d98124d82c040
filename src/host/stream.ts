import { EventEmitter, on } from 'node:events';

import type { Command } from './command.js';
import type { Host } from './host.js';
import { run, type RunOptions, type RunResult } from './run.js';

/** A piece of a running command's output. */
export interface OutputChunk {
  readonly stream: 'stdout' | 'stderr';
  readonly data: Buffer;
}

/** A command that is running: iterate over its output, await its result. */
export interface RunningCommand extends AsyncIterable<OutputChunk> {
  /** Settles as `run` would; iterating ends when it does, or throws its error. */
  readonly result: Promise<RunResult>;
}

/**
 * Starts a command and returns its live output as an async iterator, in order,
 * every byte once. Chunks are buffered from the start, so nothing is lost if the
 * iteration begins later. It can be iterated once.
 */
export function stream(
  host: Host,
  command: Command,
  options: RunOptions = {},
): RunningCommand {
  const events = new EventEmitter();
  // Listening starts now, before the first chunk can arrive.
  const iterator = on(events, 'chunk', { close: ['end'] });
  const emit = (name: 'stdout' | 'stderr', user?: (chunk: Buffer) => void) => {
    return (data: Buffer) => {
      user?.(data);
      events.emit('chunk', { stream: name, data } satisfies OutputChunk);
    };
  };
  const result = run(host, command, {
    ...options,
    onStdout: emit('stdout', options.onStdout),
    onStderr: emit('stderr', options.onStderr),
  });
  result.then(
    () => events.emit('end'),
    (error: unknown) => events.emit('error', error),
  );
  return { result, [Symbol.asyncIterator]: () => chunks(iterator) };
}

async function* chunks(iterator: AsyncIterator<unknown[]>): AsyncGenerator<OutputChunk> {
  for (;;) {
    const next = await iterator.next();
    if (next.done === true) return;
    yield next.value[0] as OutputChunk;
  }
}
