// One direction of a proxied TCP connection: the bytes read from one socket are
// written to the other after a delay, in the order they came, with backpressure.
import type { Socket } from 'node:net';

/** How one direction is relayed. */
export interface DelayLineOptions {
  /** Milliseconds each chunk is held; read as each chunk comes. */
  readonly delay: () => number;
  /** No byte leaves before this `performance.now()` time. */
  readonly notBefore: number;
  /** Called as bytes come from the source. */
  readonly arrived?: (bytes: number) => void;
  /** Called just before bytes are written to the destination. */
  readonly delivered?: (bytes: number) => void;
}

/** A running direction of a connection. */
export interface DelayLine {
  /** Calls `done` once every byte and the end that came so far have left. */
  afterFlush(done: () => void): void;
}

// Bytes held at most before the source is paused: far above what any transfer
// here keeps in flight (30 MB/s for 50 ms is 1.5 MB), so the link never throttles.
const highWater = 16 * 1024 * 1024;

/** Relays `from` to `to`, each chunk `delay()` ms after it came; 0 relays at once. */
export function delayLine(
  from: Socket,
  to: Socket,
  options: DelayLineOptions,
): DelayLine {
  // A chunk, or undefined for the end of the stream, and when it may leave.
  const held: { due: number; chunk: Buffer | undefined }[] = [];
  const flushed: (() => void)[] = [];
  let bytes = 0;
  let lastDue = 0;
  // Set while a timer or an immediate will flush: the only caller then.
  let timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  let blocked = false;

  const flush = () => {
    timer = undefined;
    while (!blocked) {
      const next = held[0];
      if (next === undefined) {
        for (const done of flushed.splice(0)) done();
        return;
      }
      // Timers count whole milliseconds and fire up to one late: the last two
      // milliseconds of a wait are spent in setImmediate turns instead, which
      // still serve I/O, so that a chunk leaves within a tenth of a millisecond.
      const wait = next.due - performance.now();
      if (wait > 2) {
        timer = setTimeout(flush, Math.floor(wait) - 1);
        return;
      }
      if (wait > 0) {
        timer = setImmediate(flush);
        return;
      }
      held.shift();
      if (next.chunk === undefined) {
        to.end();
        continue;
      }
      bytes -= next.chunk.length;
      options.delivered?.(next.chunk.length);
      if (!to.write(next.chunk)) {
        blocked = true;
        to.once('drain', () => {
          blocked = false;
          flush();
        });
      }
      if (from.isPaused() && bytes < highWater / 2) from.resume();
    }
  };

  const hold = (chunk: Buffer | undefined) => {
    // Never before an earlier chunk, whatever the delay is now: order is kept.
    const now = performance.now();
    const due = Math.max(now + options.delay(), options.notBefore, lastDue);
    lastDue = due;
    held.push({ due, chunk });
    if (timer === undefined) flush();
  };

  from.on('data', (chunk: Buffer) => {
    options.arrived?.(chunk.length);
    bytes += chunk.length;
    if (bytes > highWater) from.pause();
    hold(chunk);
  });
  from.once('end', () => {
    hold(undefined);
  });

  return {
    afterFlush(done) {
      if (held.length === 0) done();
      else flushed.push(done);
    },
  };
}
