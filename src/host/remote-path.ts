import { posix } from 'node:path';

import { RemotePathError } from './file-errors.js';
import type { FileContext } from './file-failure.js';

/**
 * Checks a path in the instance and returns it normalized (`//`, `.` and `..`
 * resolved, no trailing slash): it must be a non-empty absolute path without NUL.
 * The files API would read a relative path from the root, which hides mistakes.
 */
export function checkRemotePath(value: unknown, context: FileContext): string {
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  const fail = (why: string, fix: string) =>
    new RemotePathError(
      `Remote path ${shown} given to ${context.operation} on ${context.host} ${why}; ` +
        `${fix}.`,
      context,
    );
  if (typeof value !== 'string' || value === '') {
    throw fail('is not a path', 'give an absolute path such as `/etc/app.conf`');
  }
  if (value.includes('\0')) {
    throw fail('holds a NUL byte', 'no file name can hold one; remove it');
  }
  if (!value.startsWith('/')) {
    throw fail(
      'is relative',
      `give it from the root, such as \`${posix.join('/root', value)}\``,
    );
  }
  const bytes = Buffer.byteLength(value);
  if (bytes > maxPathBytes) {
    throw fail(
      `is ${bytes} bytes long`,
      `Linux takes paths of at most ${maxPathBytes} bytes; give a shorter one`,
    );
  }
  const long = value.split('/').find((name) => Buffer.byteLength(name) > maxNameBytes);
  if (long !== undefined) {
    throw fail(
      `has a name of ${Buffer.byteLength(long)} bytes (\`${long.slice(0, 20)}…\`)`,
      `a file name takes at most ${maxNameBytes} bytes; shorten it`,
    );
  }
  const normal = posix.normalize(value);
  return normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal;
}

// PATH_MAX counts the terminating NUL; NAME_MAX is per name.
const maxPathBytes = 4095;
const maxNameBytes = 255;

/**
 * The directories from the top down to `path` itself, root left out:
 * `/a/b/c` gives `/a`, `/a/b`, `/a/b/c`.
 */
export function pathLevels(path: string): string[] {
  const parts = path.split('/').filter((part) => part !== '');
  return parts.map((_, index) => `/${parts.slice(0, index + 1).join('/')}`);
}

/** A temporary name beside `path`, in the same directory, hidden and marked as ours. */
export function tempSibling(path: string, token: string, suffix = 'tmp'): string {
  // Keep the name well under the 255 bytes a file name may have.
  const base = Buffer.from(posix.basename(path)).subarray(0, 100).toString();
  return posix.join(posix.dirname(path), `.${base}.lxd-api-${token}.${suffix}`);
}
