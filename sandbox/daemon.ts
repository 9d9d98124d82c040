import { spawn } from 'node:child_process';
import { mkdirSync, openSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join } from 'node:path';

import { run } from './run.js';
import { say, SandboxError } from './log.js';
import type { ServerKind } from './servers.js';

/** Starts the server's daemon unless it already answers, and waits until it does. */
export async function ensureDaemon(kind: ServerKind, stateDir: string): Promise<void> {
  await startDaemon({
    label: kind.name,
    title: kind.title,
    socket: kind.socket,
    command: kind.daemon,
    env: kind.daemonEnv,
    logFile: kind.logFile,
    outFile: join(stateDir, `${kind.name}-daemon.out`),
    waitReady: kind.waitReady,
  });
}

/** One daemon to start: its command line, environment, socket and files. */
export interface DaemonSpec {
  readonly label: string;
  readonly title: string;
  readonly socket: string;
  readonly command: readonly string[];
  /** Extra environment for the daemon and for the command that waits for it. */
  readonly env: Readonly<Record<string, string>>;
  readonly logFile: string;
  /** Where the daemon's standard output and error go. */
  readonly outFile: string;
  /** Where its process id is written, for whoever must stop exactly this daemon. */
  readonly pidFile?: string;
  readonly waitReady: readonly string[];
}

/** Starts a daemon unless it already answers on its socket, and waits until it does. */
export async function startDaemon(spec: DaemonSpec): Promise<void> {
  if (await answers(spec.socket)) {
    say(spec.label, `daemon answers on ${spec.socket}`);
    return;
  }

  mkdirSync(dirname(spec.logFile), { recursive: true });
  mkdirSync(dirname(spec.outFile), { recursive: true });
  const output = openSync(spec.outFile, 'a');
  const [file, ...args] = spec.command;
  if (file === undefined) throw new SandboxError(`no daemon command for ${spec.title}`);

  // Detached in its own session: the daemon outlives this script, as a service would.
  const env = { ...process.env, ...spec.env };
  const child = spawn(file, args, {
    detached: true,
    stdio: ['ignore', output, output],
    env,
  });
  child.unref();
  if (spec.pidFile !== undefined && child.pid !== undefined) {
    writeFileSync(spec.pidFile, `${child.pid}\n`);
  }
  say(spec.label, `started ${spec.command.join(' ')} (pid ${child.pid ?? '?'})`);

  try {
    await run(spec.waitReady[0] ?? '', spec.waitReady.slice(1), { env });
  } catch (error) {
    throw new SandboxError(
      `${spec.title} did not become ready within 60 s; see ${spec.logFile} and ` +
        spec.outFile,
      { cause: error },
    );
  }
  say(spec.label, 'daemon ready');
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
