// Exec with record-output in two round trips. The whole exchange lives in this one
// file: split up, the order of its requests on the socket would be hard to see.
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import type { Connection, HttpRequest, HttpResponse } from '../transport/transport.js';
import type { LxdApi } from './api-client.js';
import { ApiError } from './errors.js';
import { fileWriteHeaders, instanceFileUrl } from './files.js';
import type { ServerFacts } from './server-facts.js';

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
  /** Called with the operation id as soon as the server has started the command. */
  readonly onStart?: (operation: string) => void;
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
 */
export async function execRecorded(
  api: LxdApi,
  facts: ServerFacts,
  instance: string,
  spec: ExecSpec,
  io: ExecIo,
): Promise<ExecOutcome> {
  return api.transport.withConnection(
    async (connection) => {
      const operation = await start(api, facts, connection, instance, spec, io.input);
      io.onStart?.(operation);
      return finish(api, facts, connection, instance, operation, io);
    },
    // Requests already written must fail with the socket, never be resent by undici:
    // a resent delete could remove output before it was read.
    { resend: false },
  );
}

async function start(
  api: LxdApi,
  facts: ServerFacts,
  connection: Connection,
  instance: string,
  spec: ExecSpec,
  input: ExecInput | undefined,
): Promise<string> {
  const exec: HttpRequest = {
    ...execRequest(api, instance, spec, 'record'),
    // With input, the POST must be pipelined behind the upload, which undici does
    // only for idempotent requests. A resend cannot run it twice: the first run
    // removes the input file, and a second finds none to open.
    idempotent: input !== undefined,
  };

  if (input === undefined) {
    const created = await api.decode<Operation>(exec, await connection.send(exec));
    return created.id;
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
  // The command started but found no input file: say why, once it has ended.
  if (uploaded.status === 'rejected') {
    await finish(api, facts, connection, instance, created.value.id, discardIo());
    throw uploaded.reason;
  }
  return created.value.id;
}

async function finish(
  api: LxdApi,
  facts: ServerFacts,
  connection: Connection,
  instance: string,
  operation: string,
  io: ExecIo,
): Promise<ExecOutcome> {
  const predicted = outputPaths(facts, instance, operation);
  const operationPath = `/1.0/operations/${encodeURIComponent(operation)}`;
  const requests = {
    // Both timeouts off: LXD 5.0 sends the headers only when the command ends,
    // Incus sends them at once and the body at the end.
    wait: get(api.path(`${operationPath}/wait`), { headersTimeout: 0, bodyTimeout: 0 }),
    final: get(api.path(operationPath)),
    stdout: get(api.path(predicted.stdout)),
    stderr: get(api.path(predicted.stderr)),
    deleteStdout: remove(api.path(predicted.stdout)),
    deleteStderr: remove(api.path(predicted.stderr)),
  };
  const sent = Object.fromEntries(
    Object.entries(requests).map(([name, request]) => [name, connection.send(request)]),
  ) as Record<keyof typeof requests, Promise<HttpResponse>>;
  // Every answer is awaited below; until then, none may count as unhandled.
  for (const promise of Object.values(sent)) promise.catch(() => undefined);

  const waited = await settle(api, requests.wait, sent.wait);
  const final = await settle(api, requests.final, sent.final);
  const ended = pickEnded(waited, final);
  const actual = ended?.metadata?.output;

  const stdoutOk = await drain(await sent.stdout, io.stdout);
  const stderrOk = await drain(await sent.stderr, io.stderr);
  await discard(await sent.deleteStdout);
  await discard(await sent.deleteStderr);

  // The prediction missed (a server that moved its output files): one more
  // round trip reads and deletes them where the operation says they are.
  if (!stdoutOk || !stderrOk) {
    await readAt(api, connection, actual, predicted, stdoutOk, stderrOk, io);
  }

  return endedOutcome(api, instance, operation, ended, waited);
}

function endedOutcome(
  api: LxdApi,
  instance: string,
  operation: string,
  ended: Operation | undefined,
  waited: Operation | Error,
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
      const operation = await start(api, facts, connection, instance, spec, io.input);
      io.onStart?.(operation);

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

async function readAt(
  api: LxdApi,
  connection: Connection,
  actual: Readonly<Record<string, string>> | undefined,
  predicted: { stdout: string; stderr: string },
  stdoutOk: boolean,
  stderrOk: boolean,
  io: ExecIo,
): Promise<void> {
  const wanted = [
    { ok: stdoutOk, url: actual?.['1'], predicted: predicted.stdout, sink: io.stdout },
    { ok: stderrOk, url: actual?.['2'], predicted: predicted.stderr, sink: io.stderr },
  ].filter((each) => !each.ok);
  for (const each of wanted) {
    if (each.url === undefined || each.url === each.predicted) {
      throw new ApiError(
        `Remote \`${api.remote}\` has no output file at ${each.predicted} and named ` +
          'no other.',
        {
          remote: api.remote,
          request: `GET ${each.predicted}`,
          status: 404,
          serverMessage: '',
        },
      );
    }
  }
  const sends = wanted.flatMap((each) => {
    const path = api.path(each.url ?? '');
    return [connection.send(get(path)), connection.send(remove(path))];
  });
  for (const promise of sends) promise.catch(() => undefined);
  for (const [index, each] of wanted.entries()) {
    const read = sends[index * 2];
    const deleted = sends[index * 2 + 1];
    if (read === undefined || deleted === undefined) continue;
    await drain(await read, each.sink);
    await discard(await deleted);
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
    if (error instanceof ApiError) return error;
    throw error;
  }
}

/** Streams a log answer into its sink; false when the file was not there. */
async function drain(response: HttpResponse, sink: Writable): Promise<boolean> {
  if (response.statusCode !== 200) {
    await discard(response);
    return false;
  }
  await pipeline(response.body, sink, { end: false });
  return true;
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
