import { randomBytes } from 'node:crypto';
import { finished } from 'node:stream/promises';
import type { Writable } from 'node:stream';

import type { ExecOutcome } from '../../api/exec.js';
import { CommandInputError } from '../command.js';
import { SessionUnavailableError } from './errors.js';
import type { SessionPool } from './pool.js';
import { variableName } from './driver.js';
import type { Session, SessionIdentity } from './session.js';

/** One command as session mode runs it. */
export interface SessionRequest {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd?: string;
  readonly identity: SessionIdentity;
  readonly input?: Buffer;
}

/**
 * Runs a command in one of the host's sessions, writing its output into the
 * sinks as it arrives, and resolves once both end markers came. The sinks are
 * ended and flushed before it settles.
 */
export async function sessionExec(
  pool: SessionPool,
  request: SessionRequest,
  io: { readonly stdout: Writable; readonly stderr: Writable },
  details: {
    readonly display: string;
    readonly killed: AbortSignal;
    readonly signal?: AbortSignal;
    readonly onStarted?: () => void;
  },
): Promise<ExecOutcome> {
  for (const name of Object.keys(request.env)) {
    if (!variableName.test(name)) {
      throw new CommandInputError(
        `Environment variable name ${JSON.stringify(name)} cannot be exported by a ` +
          'session shell: use letters, digits and _, not starting with a digit, or ' +
          "run the command with `mode: 'record'`.",
      );
    }
  }
  let failure: Error | undefined;
  const onError = (error: Error) => {
    failure ??= error;
  };
  io.stdout.on('error', onError);
  io.stderr.on('error', onError);
  // A sink that takes no more stops the socket until it drains, so that memory
  // stays flat however slow the sink.
  const waits: (() => void)[] = [];
  const write =
    (session: Session, stream: 'stdout' | 'stderr', sink: Writable) =>
    (chunk: Buffer) => {
      if (failure !== undefined || sink.write(chunk)) return;
      session.pause(stream);
      const resume = () => {
        session.resume(stream);
      };
      sink.once('drain', resume);
      waits.push(() => {
        sink.off('drain', resume);
        resume();
      });
    };
  const flushBoth = () => Promise.all([flush(io.stdout), flush(io.stderr)]);
  try {
    const outcome = await pool.with(request.identity, async (session) => {
      // The command's output is all in once its markers came, and the session
      // goes back to the pool: its sockets must read again whatever the sinks do.
      // A sink ended while full never says 'drain' (flush ends it), and a socket
      // left paused would hang the session's next command.
      const exitCode = await session
        .run(
          {
            token: randomBytes(16).toString('hex'),
            argv: request.argv,
            env: request.env,
            ...(request.cwd === undefined ? {} : { cwd: request.cwd }),
            inputLength: request.input?.length ?? 0,
          },
          request.input,
          {
            stdout: write(session, 'stdout', io.stdout),
            stderr: write(session, 'stderr', io.stderr),
          },
          details,
        )
        .finally(() => {
          for (const wait of waits.splice(0)) wait();
        });
      return { operation: session.operation, exitCode, error: '' };
    });
    await flushBoth();
    if (failure !== undefined) throw failure;
    return outcome;
  } catch (error) {
    // Without a session nothing was written, and the sinks stay open for the
    // record-output fallback.
    if (!(error instanceof SessionUnavailableError)) await flushBoth();
    throw error;
  } finally {
    io.stdout.off('error', onError);
    io.stderr.off('error', onError);
  }
}

// Output arrives faster than a slow sink takes it; everything written must be
// taken before the caller closes what is behind the sink.
async function flush(sink: Writable): Promise<void> {
  if (sink.writableEnded) return;
  sink.end();
  await finished(sink).catch(() => undefined);
}
