/**
 * Finds one command's output in a session stream: skips everything up to the
 * begin marker `TOKEN<\n`, delivers what follows up to the end marker
 * `TOKEN>EXIT\n`, and reads the exit code from it. Markers may be split across
 * chunks anywhere; bytes that could be the start of a marker are held back until
 * the next chunk shows whether they are.
 */
export class MarkerScanner {
  /** The exit code of the end marker, once it was seen. */
  exitCode: number | undefined;
  /** Whether the begin marker was seen: the command was read and started. */
  began = false;

  readonly #begin: Buffer;
  readonly #end: Buffer;
  readonly #deliver: (chunk: Buffer) => void;
  #held: Buffer = Buffer.alloc(0);
  #state: 'begin' | 'output' | 'code' | 'done' = 'begin';

  constructor(token: string, deliver: (chunk: Buffer) => void) {
    this.#begin = Buffer.from(`${token}<\n`);
    this.#end = Buffer.from(`${token}>`);
    this.#deliver = deliver;
  }

  /** Whether the end marker and its exit code have been read. */
  get done(): boolean {
    return this.#state === 'done';
  }

  /** Takes the next bytes of the stream. */
  feed(chunk: Buffer): void {
    let data = this.#held.length === 0 ? chunk : Buffer.concat([this.#held, chunk]);
    this.#held = Buffer.alloc(0);
    while (data.length > 0 && this.#state !== 'done') {
      if (this.#state === 'begin') {
        const at = data.indexOf(this.#begin);
        if (at === -1) {
          this.#held = data.subarray(data.length - partialMatch(data, this.#begin));
          return;
        }
        this.began = true;
        this.#state = 'output';
        data = data.subarray(at + this.#begin.length);
      } else if (this.#state === 'output') {
        const at = data.indexOf(this.#end);
        if (at === -1) {
          const keep = partialMatch(data, this.#end);
          if (data.length > keep) this.#deliver(data.subarray(0, data.length - keep));
          this.#held = data.subarray(data.length - keep);
          return;
        }
        if (at > 0) this.#deliver(data.subarray(0, at));
        this.#state = 'code';
        data = data.subarray(at + this.#end.length);
      } else {
        const newline = data.indexOf(0x0a);
        if (newline === -1) {
          this.#held = data;
          return;
        }
        this.exitCode = Number(data.subarray(0, newline).toString('latin1'));
        this.#state = 'done';
      }
    }
  }
}

// The length of the longest end of `data` that is a start of `marker`.
function partialMatch(data: Buffer, marker: Buffer): number {
  for (let length = Math.min(marker.length - 1, data.length); length > 0; length -= 1) {
    if (data.subarray(data.length - length).equals(marker.subarray(0, length))) {
      return length;
    }
  }
  return 0;
}
