// Shared code of the file tests: content made on the fly, hashes taken with streams,
// process memory sampled, and the temporary names our file calls may leave.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import type { Host } from '../../src/host/host.js';

/** A stream of `size` pseudo-random bytes, made as it is read; `digest()` once ended. */
export function generated(size: number): Readable & { digest(): string } {
  const block = randomBytes(1 << 20);
  const hash = createHash('sha256');
  let sent = 0;
  let index = 0;
  const stream = new Readable({
    read() {
      if (sent >= size) {
        this.push(null);
        return;
      }
      // Each block differs from the last in its first bytes: no period to hide in.
      const chunk = Buffer.from(block.subarray(0, Math.min(block.length, size - sent)));
      if (chunk.length >= 4) chunk.writeUInt32BE(index, 0);
      index += 1;
      sent += chunk.length;
      hash.update(chunk);
      this.push(chunk);
    },
  }) as Readable & { digest(): string };
  let digest: string | undefined;
  stream.digest = () => (digest ??= hash.digest('hex'));
  return stream;
}

/** Writes `size` pseudo-random bytes to a local file and returns their SHA-256. */
export async function writeGenerated(path: string, size: number): Promise<string> {
  const source = generated(size);
  await pipeline(source, createWriteStream(path));
  return source.digest();
}

/** The SHA-256 of a local file, read as a stream. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/** The SHA-256 of bytes in memory. */
export function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The SHA-256 of a file in the instance, computed there. */
export async function remoteSha256(host: Host, path: string): Promise<string> {
  const result = await host.run(['sha256sum', path]);
  return String(result.stdout).split(' ')[0] ?? '';
}

/** Samples the process's resident memory until stopped; `peak()` is the highest seen. */
export function sampleMemory(everyMs = 20): { stop(): number; peak(): number } {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
    peak: () => peak,
  };
}

/** Names in a directory of the instance that our file calls use for temporary files. */
export async function leftoverTemps(host: Host, dir: string): Promise<string[]> {
  const names = await host.readDir(dir);
  return names.filter((name) => name.includes('.lxd-api-'));
}
