import { spawn } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join } from 'node:path';

import { run } from './run.js';
import { say, SandboxError } from './log.js';
import type { ServerKind } from './servers.js';

/** Starts the server's daemon unless it already answers, and waits until it does. */
export async function ensureDaemon(kind: ServerKind, stateDir: string): Promise<void> {
  if (await answers(kind.socket)) {
    say(kind.name, `daemon answers on ${kind.socket}`);
    return;
  }

  mkdirSync(dirname(kind.logFile), { recursive: true });
  mkdirSync(stateDir, { recursive: true });
  const output = openSync(join(stateDir, `${kind.name}-daemon.out`), 'a');
  const [file, ...args] = kind.daemon;
  if (file === undefined) throw new SandboxError(`no daemon command for ${kind.title}`);

  // Detached in its own session: the daemon outlives this script, as a service would.
  const child = spawn(file, args, {
    detached: true,
    stdio: ['ignore', output, output],
    env: { ...process.env, ...kind.daemonEnv },
  });
  child.unref();
  say(kind.name, `started ${kind.daemon.join(' ')} (pid ${child.pid ?? '?'})`);

  try {
    await run(kind.waitReady[0] ?? '', kind.waitReady.slice(1));
  } catch (error) {
    throw new SandboxError(
      `${kind.title} did not become ready within 60 s; see ${kind.logFile} and ` +
        join(stateDir, `${kind.name}-daemon.out`),
      { cause: error },
    );
  }
  say(kind.name, 'daemon ready');
}

/** Tells whether a daemon answers `GET /1.0` on its unix socket within two seconds. */
export function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/1.0', timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => {
      resolve(false);
    });
    req.end();
  });
}
