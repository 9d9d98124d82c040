/**
 * Cuts a stream of chunks into whole lines and hands each on with a prefix, so
 * that lines of several instances never mix within a line.
 */
export class LinePrefixer {
  readonly #prefix: string;
  readonly #write: (text: string) => void;
  #partial = '';

  constructor(prefix: string, write: (text: string) => void) {
    this.#prefix = prefix;
    this.#write = write;
  }

  /** Takes a chunk; writes every line it completes. */
  push(chunk: Buffer | string): void {
    const text = this.#partial + chunk.toString();
    const lines = text.split('\n');
    this.#partial = lines.pop() ?? '';
    if (lines.length > 0)
      this.#write(lines.map((line) => `${this.#prefix}${line}\n`).join(''));
  }

  /** Writes a last line that had no newline. */
  flush(): void {
    if (this.#partial !== '') this.#write(`${this.#prefix}${this.#partial}\n`);
    this.#partial = '';
  }
}
