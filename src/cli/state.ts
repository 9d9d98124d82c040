import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** What the last run left for `--retry-failed`. */
export interface LastRun {
  readonly command: string;
  readonly at: string;
  /** Host specs of the instances that failed, timed out or were unreachable. */
  readonly failed: readonly string[];
}

/** Where the state file lives: `$LXD_API_STATE_DIR`, else the XDG state folder. */
export function stateFile(env: NodeJS.ProcessEnv = process.env): string {
  const dir =
    env.LXD_API_STATE_DIR ??
    join(env.XDG_STATE_HOME ?? join(env.HOME ?? homedir(), '.local', 'state'), 'lxd-api');
  return join(dir, 'last-run.json');
}

/** Reads the last run, or undefined when there was none. */
export async function readLastRun(file: string): Promise<LastRun | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as LastRun;
  } catch {
    return undefined;
  }
}

/** Records a run, atomically: a reader sees the old state or the new one. */
export async function writeLastRun(file: string, run: LastRun): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(run, null, 2)}\n`);
  await rename(temporary, file);
}
