import { once } from 'node:events';
import type { Writable } from 'node:stream';

import { ConnectionError } from '../transport/errors.js';
import type { HttpResponse } from '../transport/transport.js';

/**
 * Delivers one recorded output file to its sink exactly once, however many times
 * the file has to be read: a read that broke off midway is read again from the
 * start, and the bytes already delivered are skipped.
 */
export class OutputCopy {
  readonly sink: Writable;
  /** Bytes handed to the sink so far. */
  delivered = 0;
  /** Set once a read is known to have seen the whole file. */
  complete = false;

  constructor(sink: Writable) {
    this.sink = sink;
  }

  /**
   * Reads an answer to a GET of the file into the sink; false when the file was
   * not there (any status but 200). A body that breaks off rejects with a
   * ConnectionError; a failing sink rejects with the sink's own error.
   */
  async read(response: HttpResponse, details: { remote: string; request: string }) {
    if (response.statusCode !== 200) {
      await response.body.dump({ limit: Number.MAX_SAFE_INTEGER });
      return false;
    }
    const chunks = (response.body as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    let offset = 0;
    for (;;) {
      let next: IteratorResult<Buffer>;
      try {
        next = await chunks.next();
      } catch (cause) {
        throw new ConnectionError(
          `Reading ${details.request} from remote \`${details.remote}\` broke off ` +
            `after ${offset} bytes (${String(cause)}).`,
          { remote: details.remote, sent: 'yes', cause },
        );
      }
      if (next.done === true) return true;
      const chunk = next.value;
      const skip = Math.max(0, this.delivered - offset);
      offset += chunk.length;
      if (skip >= chunk.length) continue;
      const fresh = skip === 0 ? chunk : chunk.subarray(skip);
      this.delivered += fresh.length;
      if (!this.sink.write(fresh)) await once(this.sink, 'drain');
    }
  }
}
