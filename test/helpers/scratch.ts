import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let parent: string | undefined;

/** A new empty folder, removed with every other one when the test process exits. */
export function scratchDir(prefix: string): string {
  if (parent === undefined) {
    const made = mkdtempSync(join(tmpdir(), 'lxd-api-tests-'));
    process.once('exit', () => {
      rmSync(made, { recursive: true, force: true });
    });
    parent = made;
  }
  return mkdtempSync(join(parent, prefix));
}
