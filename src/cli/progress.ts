/**
 * A one-line progress report on a terminal's stderr, redrawn in place. Other
 * output goes through `print`, which clears the line first and redraws it after.
 */
export class Progress {
  readonly #stream: NodeJS.WriteStream;
  readonly #enabled: boolean;
  #line = '';

  constructor(stream: NodeJS.WriteStream, enabled: boolean) {
    this.#stream = stream;
    this.#enabled = enabled && stream.isTTY;
  }

  /** Replaces the progress line. */
  update(line: string): void {
    if (!this.#enabled) return;
    this.#line = line;
    this.#stream.write(`\r\x1b[K${line}`);
  }

  /** Writes text to `target` without tearing the progress line. */
  print(target: NodeJS.WritableStream, text: string): void {
    if (!this.#enabled || this.#line === '') {
      target.write(text);
      return;
    }
    this.#stream.write('\r\x1b[K');
    target.write(text);
    this.#stream.write(this.#line);
  }

  /** Removes the progress line for good. */
  done(): void {
    if (this.#enabled && this.#line !== '') this.#stream.write('\r\x1b[K');
    this.#line = '';
  }
}
