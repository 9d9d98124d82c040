// Exec with record-output in two round trips. The whole exchange lives in this one
// file: split up, the order of its requests on the socket would be hard to see.
import { once } from 'node:events';
import { Writable } from 'node:stream';

import { debuglog } from 'node:util';

import { TransportError } from '../transport/errors.js';
import type { Connection, HttpRequest, HttpResponse } from '../transport/transport.js';
import type { LxdApi } from './api-client.js';
import { ApiError, OutputLostError } from './errors.js';
import { fileWriteHeaders, instanceFileUrl } from './files.js';
import { OutputCopy } from './output-copy.js';
import type { ServerFacts } from './server-facts.js';

const debug = debuglog('lxdapi:exec');

/** What the exec API is asked to run. */
export interface ExecSpec {
  readonly command: readonly string[];
  readonly environment: Readonly<Record<string, string>>;
  readonly cwd?: string;
  readonly user?: number;
  readonly group?: number;
}

/** Standard input delivered as a file that the command opens and removes. */
export interface ExecInput {
  /** Absolute path in the instance. */
  readonly path: string;
  readonly data: Buffer;
  /** Owner of the file, so that the command's user can open it. */
  readonly uid: number;
  readonly gid: number;
}

/** Where the recorded output goes, and what to be told along the way. */
export interface ExecIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly input?: ExecInput;
  /**
   * Called with the operation id as soon as the server has started the command,
   * and with the cluster member the server says runs it (`location`), if any.
   */
  readonly onStart?: (operation: string, location: string | undefined) => void;
}

/** How a recorded exec ended. */
export interface ExecOutcome {
  readonly operation: string;
  /** The command's exit status; 128+N when killed by signal N. */
  readonly exitCode: number;
  /** The operation's own error text, when the server gave one. */
  readonly error: string;
}

/** An operation as the server describes it. */
export interface Operation {
  readonly id: string;
  /** The cluster member that runs it; `none` or empty outside a cluster. */
  readonly location?: string;
  readonly status: string;
  readonly status_code: number;
  readonly err: string;
  readonly metadata: {
    readonly output?: Readonly<Record<string, string>>;
    readonly return?: number;
  } | null;
}

/**
 * Runs a command with record-output: the POST (after the input file, pipelined,
 * when there is input), then one pipelined batch sent as soon as the operation id
 * is known: wait, the final operation, stdout, stderr, and the deletion of both
 * output files. The server serves them strictly in order, so the reads happen
 * after the command ended and the deletes after the reads.
 *
 * The POST is never sent twice. Once the command has started, everything left to
 * do is safe to repeat: when the batch fails (a broken connection, a gateway's
 * 502/503/504), what it had not finished is done again on a fresh connection,
 * within the transport's retry budget, and no output byte is delivered twice.
 */
export async function execRecorded(
  api: LxdApi,
  facts: ServerFacts,
  instance: string,
  spec: ExecSpec,
  io: ExecIo,
): Promise<ExecOutcome> {
  let progress: ExecProgress | undefined;
  try {
    return await api.transport.withConnection(
      async (connection) => {
        const operation = await start(api, facts, connection, instance, spec, io);
        progress = new ExecProgress(facts, instance, operation, io);
        return await finish(api, connection, progress);
      },
      // Requests already written must fail with the socket, never be resent by
      // undici: a resent POST could run the command twice.
      { resend: false },
    );
  } catch (error) {
    if (progress === undefined || !(error instanceof TransportError)) throw error;
    const started = progress;
    debug(
      'exec %s: the batch failed (%s); finishing it again',
      started.operation,
      error.code,
    );
    return recover(api, started, error);
  }
}

/** What is known and done of a started command, so that a retry does only the rest. */
class ExecProgress {
  readonly operation: string;
  readonly instance: string;
  readonly operationPath: string;
  /** Where the output files are: predicted, then as the finished operation says. */
  paths: { stdout: string; stderr: string };
  readonly predicted: { stdout: string; stderr: string };
  /** The finished operation, once an answer carried its exit code. */
  ended: Operation | undefined;
  /** The wait's own answer, for the message when no exit code ever came. */
  waited: Operation | Error | undefined;
  readonly stdout: OutputCopy;
  readonly stderr: OutputCopy;
  readonly deleted = { stdout: false, stderr: false };

  constructor(facts: ServerFacts, instance: string, operation: string, io: ExecIo) {
    this.operation = operation;
    this.instance = instance;
    this.operationPath = `/1.0/operations/${encodeURIComponent(operation)}`;
    this.predicted = outputPaths(facts, instance, operation);
    this.paths = this.predicted;
    this.stdout = new OutputCopy(io.stdout);
    this.stderr = new OutputCopy(io.stderr);
  }

  /** The error for a command that started but whose result could not be read. */
  lost(remote: string, message: string, cause?: unknown): OutputLostError {
    const exitCode = this.ended?.metadata?.return;
    return new OutputLostError(message, {
      remote,
      instance: this.instance,
      operation: this.operation,
      ...(exitCode === undefined ? {} : { exitCode }),
      ...(cause === undefined ? {} : { cause }),
    });
  }
}

async function recover(
  api: LxdApi,
  progress: ExecProgress,
  failure: TransportError,
): Promise<ExecOutcome> {
  try {
    return await api.transport.withConnection(
      (connection) => finish(api, connection, progress),
      { idempotent: true },
    );
  } catch (error) {
    if (!(error instanceof TransportError)) throw error;
    throw progress.lost(
      api.remote,
      `Remote \`${api.remote}\`: the command on \`${progress.instance}\` started ` +
        `(operation ${progress.operation}), but finishing it failed: ${error.message}`,
      error === failure ? failure : new AggregateError([failure, error]),
    );
  }
}

async function start(
  api: LxdApi,
  facts: ServerFacts,
  connection: Connection,
  instance: string,
  spec: ExecSpec,
  io: ExecIo,
): Promise<string> {
  const { input } = io;
  const exec: HttpRequest = {
    ...execRequest(api, instance, spec, 'record'),
    // With input, the POST must be pipelined behind the upload, which undici does
    // only for idempotent requests. A resend cannot run it twice: the first run
    // removes the input file, and a second finds none to open.
    idempotent: input !== undefined,
  };

  if (input === undefined) {
    return started(io, await api.decode<Operation>(exec, await connection.send(exec)));
  }

  const upload: HttpRequest = {
    method: 'POST',
    path: api.path(instanceFileUrl(instance, input.path)),
    headers: fileWriteHeaders(facts, {
      mode: 0o600,
      uid: input.uid,
      gid: input.gid,
      type: 'file',
      write: 'overwrite',
    }),
    body: input.data,
    idempotent: true,
  };
  const [uploaded, created] = await Promise.allSettled([
    connection.send(upload).then((response) => api.decode<unknown>(upload, response)),
    connection.send(exec).then((response) => api.decode<Operation>(exec, response)),
  ]);
  if (created.status === 'rejected') throw created.reason;
  // The command started but found no input file: say why, once it has ended and
  // its files are gone.
  if (uploaded.status === 'rejected') {
    const progress = new ExecProgress(facts, instance, created.value.id, discardIo());
    await finish(api, connection, progress).catch(() => undefined);
    throw uploaded.reason;
  }
  return started(io, created.value);
}

// Tells whoever listens that the command runs, and where (a cluster member).
function started(io: ExecIo, operation: Operation): string {
  io.onStart?.(operation.id, operation.location);
  return operation.id;
}

/**
 * Sends what is left of the batch for a started command, pipelined on one
 * socket, and records in `progress` what it achieved: on a first run all of it,
 * on a retry only the steps that had not completed.
 */
async function finish(
  api: LxdApi,
  connection: Connection,
  progress: ExecProgress,
): Promise<ExecOutcome> {
  const { operationPath } = progress;
  const streams = (['stdout', 'stderr'] as const).map((name) => ({
    name,
    copy: progress[name],
    path: progress.paths[name],
  }));
  const pending = <T>(promise: Promise<T>) => {
    // Every answer is awaited below; until then, none may count as unhandled.
    promise.catch(() => undefined);
    return promise;
  };
  const send = (request: HttpRequest) => ({
    request,
    response: pending(connection.send(request)),
  });
  const known = progress.ended !== undefined;
  // Both timeouts off: LXD 5.0 sends the wait's headers only when the command
  // ends, Incus sends them at once and the body at the end.
  const wait = known
    ? undefined
    : send(get(api.path(`${operationPath}/wait`), { headersTimeout: 0, bodyTimeout: 0 }));
  const final = known ? undefined : send(get(api.path(operationPath)));
  const reads = streams
    .filter((each) => !each.copy.complete)
    .map((each) => ({ ...each, ...send(get(api.path(each.path))) }));
  const deletes = streams
    .filter((each) => !progress.deleted[each.name])
    .map((each) => ({ ...each, ...send(remove(api.path(each.path))) }));

  try {
    let failed: TransportError | undefined;
    if (wait !== undefined && final !== undefined) {
      progress.waited = await settle(api, wait.request, wait.response);
      const last = await settle(api, final.request, final.response);
      const ended = pickEnded(progress.waited, last);
      if (ended?.metadata?.return !== undefined) progress.ended = ended;
      else
        failed = [progress.waited, last].find((each) => each instanceof TransportError);
    }
    // Reads that went out after an answer with the exit code saw the whole file.
    // Others may have read it while the command still wrote (a gateway that failed
    // the wait lets the reads through at once), and the deletes behind them went
    // too: those bytes are delivered, and the rest is missing.
    const whole = progress.ended !== undefined;
    const missing: typeof streams = [];
    for (const each of reads) {
      const found = await each.copy.read(await each.response, {
        remote: api.remote,
        request: `GET ${each.path}`,
      });
      if (found && whole) each.copy.complete = true;
      if (!found) missing.push(each);
    }
    for (const each of deletes) {
      await discard(await each.response);
      progress.deleted[each.name] = true;
    }
    // The server may still answer the wait on a fresh connection.
    if (failed !== undefined) throw failed;
    if (missing.length > 0) await readElsewhere(api, connection, progress, missing);
  } catch (error) {
    // Answers not read would hold the socket: throw them away with it.
    for (const each of [wait, final, ...reads, ...deletes]) {
      each?.response.then(
        (response) => {
          response.body.on('error', () => undefined);
          response.body.destroy();
        },
        () => undefined,
      );
    }
    throw error;
  }
  const outcome = endedOutcome(
    api,
    progress.instance,
    progress.operation,
    progress.ended,
    progress.waited,
  );
  if (!progress.stdout.complete || !progress.stderr.complete) {
    throw progress.lost(
      api.remote,
      `Remote \`${api.remote}\`: the output of the command on \`${progress.instance}\` ` +
        `(operation ${progress.operation}) was read before the command ended and is ` +
        'gone from the server; what was read was delivered.',
    );
  }
  return outcome;
}

function endedOutcome(
  api: LxdApi,
  instance: string,
  operation: string,
  ended: Operation | undefined,
  waited: Operation | Error | undefined,
): ExecOutcome {
  const operationPath = `/1.0/operations/${encodeURIComponent(operation)}`;
  if (ended?.metadata?.return === undefined) {
    const reason =
      ended?.err ?? (waited instanceof Error ? waited.message : 'no exit code');
    throw new ApiError(
      `Remote \`${api.remote}\`: the command on \`${instance}\` ended without an exit ` +
        `code (${reason}).`,
      {
        remote: api.remote,
        request: `GET ${operationPath}`,
        status: ended?.status_code ?? 0,
        serverMessage: reason,
      },
    );
  }
  return { operation, exitCode: ended.metadata.return, error: ended.err };
}

/** Bounds of the adaptive poll interval of live output, in milliseconds. */
export interface PollInterval {
  readonly min: number;
  readonly max: number;
}

/**
 * Runs a command with record-output and streams its output while it runs, by
 * reading the growing output files with Range requests (no websockets). The wait
 * stays outstanding on the command's own socket the whole time, so the exit code
 * is caught however long the command runs; polls go out on other sockets. The
 * interval starts at `min`, doubles while nothing new arrives up to `max`, and
 * drops back to `min` when output comes.
 */
export async function execLive(
  api: LxdApi,
  facts: ServerFacts,
  instance: string,
  spec: ExecSpec,
  io: ExecIo,
  interval: PollInterval = { min: 50, max: 1000 },
): Promise<ExecOutcome> {
  return api.transport.withConnection(
    async (connection) => {
      const operation = await start(api, facts, connection, instance, spec, io);

      const paths = outputPaths(facts, instance, operation);
      const operationPath = `/1.0/operations/${encodeURIComponent(operation)}`;
      const waitRequest = get(api.path(`${operationPath}/wait`), {
        headersTimeout: 0,
        bodyTimeout: 0,
      });
      const finalRequest = get(api.path(operationPath));
      const waiting = connection.send(waitRequest);
      const final = connection.send(finalRequest);
      final.catch(() => undefined);

      const tails = [
        new Tail(api, paths.stdout, io.stdout),
        new Tail(api, paths.stderr, io.stderr),
      ] as const;
      const state = { ended: false };
      const waited = settle(api, waitRequest, waiting).finally(() => {
        state.ended = true;
      });

      for (let delay = interval.min; ;) {
        await sleepUnless(delay, waited);
        if (state.ended) break;
        const grew = await pollBoth(api, tails);
        delay = grew ? interval.min : Math.min(interval.max, delay * 2);
      }

      const outcome = pickEnded(await waited, await settle(api, finalRequest, final));
      // The last bytes, then the files go: on the command's socket, in order.
      await Promise.all(tails.map((tail) => tail.read(connection)));
      await Promise.all(
        tails.map(async (tail) => {
          await discard(await connection.send(remove(api.path(tail.path))));
        }),
      );
      return endedOutcome(api, instance, operation, outcome, await waited);
    },
    { resend: false },
  );
}

/** One output file being followed: how much of it has been delivered. */
class Tail {
  readonly path: string;
  #offset = 0;
  readonly #api: LxdApi;
  readonly #sink: Writable;

  constructor(api: LxdApi, path: string, sink: Writable) {
    this.#api = api;
    this.path = path;
    this.#sink = sink;
  }

  /**
   * Reads what was added since the last read and delivers it; true if anything was.
   *
   * Note: LXD 5.0 answers a Range that starts at or past the end of the file with a
   * broken 416 (a cut body, then a closed connection). So the range starts one
   * byte early, on a byte known to exist, and that byte is dropped; at offset 0 no
   * Range is sent at all.
   */
  async read(connection?: Connection): Promise<boolean> {
    const from = this.#offset;
    const request: HttpRequest = {
      method: 'GET',
      path: this.#api.path(this.path),
      ...(from === 0 ? {} : { headers: { range: `bytes=${from - 1}-` } }),
    };
    const response = await (connection === undefined
      ? this.#api.transport.request(request)
      : connection.send(request));
    if (response.statusCode !== 200 && response.statusCode !== 206) {
      // Not created yet, or nothing past the end: nothing to deliver.
      await discard(response);
      return false;
    }
    // A server that ignores Range sends the whole file: skip what was delivered.
    let skip = response.statusCode === 206 ? Math.min(from, 1) : from;
    let delivered = 0;
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      const fresh = skip >= chunk.length ? undefined : chunk.subarray(skip);
      skip = Math.max(0, skip - chunk.length);
      if (fresh === undefined || fresh.length === 0) continue;
      delivered += fresh.length;
      this.#offset += fresh.length;
      if (!this.#sink.write(fresh)) await once(this.#sink, 'drain');
    }
    return delivered > 0;
  }
}

async function pollBoth(api: LxdApi, tails: readonly [Tail, Tail]): Promise<boolean> {
  // Both reads on one socket, pipelined: one round trip a poll.
  return api.transport.withConnection(
    async (connection) => {
      const [stdout, stderr] = await Promise.all(
        tails.map((tail) => tail.read(connection)),
      );
      return stdout === true || stderr === true;
    },
    { idempotent: true },
  );
}

function sleepUnless(ms: number, done: Promise<unknown>): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const slept = new Promise((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return Promise.race([slept, done]).finally(() => {
    clearTimeout(timer);
  });
}

/**
 * The exec POST: `record` records the output in files, `discard` keeps none, and
 * `websocket` has the server wait for the standard streams' WebSockets.
 */
export function execRequest(
  api: LxdApi,
  instance: string,
  spec: ExecSpec,
  output: 'record' | 'discard' | 'websocket',
): HttpRequest {
  return {
    method: 'POST',
    path: api.path(`/1.0/instances/${encodeURIComponent(instance)}/exec`),
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      command: spec.command,
      environment: spec.environment,
      interactive: false,
      'wait-for-websocket': output === 'websocket',
      'record-output': output === 'record',
      ...(spec.cwd === undefined ? {} : { cwd: spec.cwd }),
      ...(spec.user === undefined ? {} : { user: spec.user }),
      ...(spec.group === undefined ? {} : { group: spec.group }),
    }),
  };
}

/** The output files as this server kind names them. */
export function outputPaths(facts: ServerFacts, instance: string, operation: string) {
  const base = `/1.0/instances/${encodeURIComponent(instance)}/logs/${facts.execOutputDir}`;
  return {
    stdout: `${base}exec_${operation}.stdout`,
    stderr: `${base}exec_${operation}.stderr`,
  };
}

/**
 * Output files that were not where they were predicted (a server that moved them)
 * are read and deleted where the finished operation says they are, in one more
 * round trip. Files that are nowhere were deleted by an earlier try whose answers
 * were lost: their output is gone.
 */
async function readElsewhere(
  api: LxdApi,
  connection: Connection,
  progress: ExecProgress,
  missing: readonly { name: 'stdout' | 'stderr'; copy: OutputCopy; path: string }[],
): Promise<void> {
  const actual = progress.ended?.metadata?.output;
  const moved = missing
    .map((each) => ({ ...each, url: actual?.[each.name === 'stdout' ? '1' : '2'] }))
    .filter(
      (each): each is typeof each & { url: string } =>
        each.url !== undefined && each.url !== each.path,
    );
  for (const each of moved) progress.paths[each.name] = each.url;
  const sends = moved.map((each) => {
    const path = api.path(each.url);
    const read = connection.send(get(path));
    const deleted = connection.send(remove(path));
    read.catch(() => undefined);
    deleted.catch(() => undefined);
    return { ...each, read, deleted };
  });
  for (const each of sends) {
    const found = await each.copy.read(await each.read, {
      remote: api.remote,
      request: `GET ${each.url}`,
    });
    if (found && progress.ended !== undefined) each.copy.complete = true;
    await discard(await each.deleted);
  }
  const lost = missing.find((each) => !each.copy.complete);
  if (lost !== undefined && progress.ended !== undefined) {
    throw progress.lost(
      api.remote,
      `Remote \`${api.remote}\` has no ${lost.name} file for the command on ` +
        `\`${progress.instance}\` (operation ${progress.operation}) at ${lost.path}` +
        (actual === undefined ? ' and named no other.' : ': its output is gone.'),
    );
  }
}

function pickEnded(
  waited: Operation | Error,
  final: Operation | Error,
): Operation | undefined {
  if (!(waited instanceof Error) && waited.metadata?.return !== undefined) return waited;
  if (!(final instanceof Error)) return final;
  return waited instanceof Error ? undefined : waited;
}

async function settle(
  api: LxdApi,
  request: HttpRequest,
  response: Promise<HttpResponse>,
): Promise<Operation | Error> {
  try {
    return await api.decode<Operation>(request, await response);
  } catch (error) {
    if (error instanceof ApiError || error instanceof TransportError) return error;
    throw error;
  }
}

async function discard(response: HttpResponse): Promise<void> {
  await response.body.dump({ limit: Number.MAX_SAFE_INTEGER });
}

function get(
  path: string,
  timeouts: { headersTimeout?: number; bodyTimeout?: number } = {},
): HttpRequest {
  return { method: 'GET', path, ...timeouts };
}

function remove(path: string): HttpRequest {
  return { method: 'DELETE', path, idempotent: true };
}

function discardIo(): ExecIo {
  const sink = () =>
    new Writable({
      write(_chunk, _encoding, done) {
        done();
      },
    });
  return { stdout: sink(), stderr: sink() };
}

/**
 * Starts a command whose output nobody reads (neither recorded nor on websockets,
 * so the server keeps no file of it) and waits until it ends.
 */
export async function execDetached(
  api: LxdApi,
  instance: string,
  spec: ExecSpec,
): Promise<void> {
  const exec = execRequest(api, instance, spec, 'discard');
  const created = await api.decode<Operation>(exec, await api.transport.request(exec));
  const wait = get(api.path(`/1.0/operations/${encodeURIComponent(created.id)}/wait`), {
    headersTimeout: 0,
    bodyTimeout: 0,
  });
  await discard(await api.transport.request(wait));
}
