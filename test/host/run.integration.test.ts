// host.run() against the real LXD and Incus of the sandbox: exit codes, output,
// exact bytes both ways, identities, timeouts that kill, and live output.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import fc from 'fast-check';

import { connect } from '../../src/host/connect.js';
import { CommandFailedError } from '../../src/host/errors.js';
import type { Host } from '../../src/host/host.js';
import { CommandInputError, quoteArgv } from '../../src/host/command.js';
import { OutputLimitError } from '../../src/host/output.js';
import { RemoteRegistry } from '../../src/host/remote-registry.js';
import { run } from '../../src/host/run.js';
import { UnknownUserError } from '../../src/host/users.js';
import { leftoverInputFiles, leftoverOutputFiles } from '../helpers/residue.js';
import { assertLiveOutput } from '../helpers/live-output.js';
import { sandboxEnv, serversAndModes } from '../helpers/sandbox.js';

const env = sandboxEnv();

for (const [server, mode] of serversAndModes()) {
  describe(`host.run() on ${server.title} in ${mode} mode`, () => {
    const remotes = new RemoteRegistry();
    let host: Host;
    before(async () => {
      host = await connect(`${server.remotes.https}:${server.instances[0] ?? ''}`, {
        env,
        remotes,
        mode,
      });
    });
    after(async () => {
      assert.deepEqual(await leftoverOutputFiles(host), [], 'no output file is left');
      assert.deepEqual(await leftoverInputFiles(host), [], 'no input file is left');
      await host.disconnect();
      await remotes.close();
    });

    test('reports exit codes 0 and 1, 127 for a missing binary, 128+N for a signal', async () => {
      const codes = await Promise.all(
        [
          ['true'],
          ['false'],
          ['/no/such/binary'],
          ['sh', '-c', 'kill -9 $$'],
          'kill -TERM $$',
        ].map(async (command) => (await host.run(command, { reject: false })).exitCode),
      );
      assert.deepEqual(codes, [0, 1, 127, 137, 143]);
    });

    // Output files exist in record mode only.
    if (mode === 'record') {
      test('finds the output files where the operation says when the prediction misses', async () => {
        // A host whose facts name the other server generation's output folder: the
        // reads at the predicted paths fail, and one more round trip corrects them.
        const wrongDir = host.facts.execOutputDir === '' ? 'exec-output/' : '';
        const misled = Object.create(host, {
          facts: { value: { ...host.facts, execOutputDir: wrongDir } },
          mode: { value: 'record' },
        }) as Host;
        const before = host.api.transport.stats.requests;
        const result = await run(misled, 'echo corrected; echo also >&2');
        assert.equal(result.stdout, 'corrected');
        assert.equal(result.stderr, 'also');
        assert.equal(host.api.transport.stats.requests - before, 7 + 4);
        assert.deepEqual(await leftoverOutputFiles(host), []);
      });
    }

    test('keeps stdout and stderr apart', async () => {
      const result = await host.run('echo out; echo err >&2; echo out2');
      assert.equal(result.stdout, 'out\nout2');
      assert.equal(result.stderr, 'err');
      assert.equal(result.ok, true);
      assert.equal(result.host, `${server.remotes.https}:${host.name}`);
    });

    test('rejects a failed command with an error carrying the result', async () => {
      const error = await host.run('echo partial; echo broken >&2; exit 3').then(
        () => assert.fail('a failing command resolved'),
        (caught: unknown) => caught,
      );
      assert.ok(error instanceof CommandFailedError);
      assert.equal(error.code, 'LXDAPI_COMMAND_FAILED');
      assert.equal(error.exitCode, 3);
      assert.equal(error.stdout, 'partial');
      assert.equal(error.stderr, 'broken');
      assert.equal(error.timedOut, false);
      assert.ok(
        error.message.includes('exit code 3') && error.message.includes('broken'),
      );

      const accepted = await host.run('exit 3', { okExitCodes: [3] });
      assert.equal(accepted.ok, true);
      const kept = await host.run('exit 4', { reject: false });
      assert.equal(kept.ok, false);
      assert.equal(kept.exitCode, 4);
    });

    test('gives back any text exactly, as a shell string, an argv and input', async () => {
      await fc.assert(
        fc.asyncProperty(awkwardText(), async (text) => {
          const quoted = await host.run(`printf '%s' ${quoteArgv([text])}`, {
            stripFinalNewline: false,
          });
          const argv = await host.run(['printf', '%s', text], {
            stripFinalNewline: false,
          });
          const input = await host.run('cat', { input: text, stripFinalNewline: false });
          assert.equal(quoted.stdout, text);
          assert.equal(argv.stdout, text);
          assert.equal(input.stdout, text);
        }),
        { numRuns: 25 },
      );
    });

    test('gives back any bytes exactly through input, invalid UTF-8 included', async () => {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), async (bytes) => {
          const result = await host.run('cat', { input: bytes, encoding: 'buffer' });
          assert.ok(Buffer.isBuffer(result.stdout));
          assert.deepEqual(result.stdout, Buffer.from(bytes));
        }),
        { numRuns: 25 },
      );
    });

    test('runs as a user and group, in a directory, with an environment', async () => {
      const byName = await host.run('id -u; id -g; echo "$HOME"; pwd; echo "$GREETING"', {
        user: 'app',
        cwd: '/tmp',
        env: { GREETING: 'hello $not expanded' },
      });
      assert.equal(byName.stdout, '1000\n1000\n/home/app\n/tmp\nhello $not expanded');

      const byNumber = await host.run(['id', '-u'], { user: 1000, group: 0 });
      assert.equal(byNumber.stdout, '1000');
      const group = await host.run(['id', '-g'], { user: 1000, group: 0 });
      assert.equal(group.stdout, '0');

      const root = await host.run('id -u; echo "$HOME"');
      assert.equal(root.stdout, '0\n/root');
    });

    test('runs through su as another user', async () => {
      const result = await host.run(['sh', '-c', 'id -un; echo "$0"', 'a b'], {
        su: 'app',
      });
      assert.equal(result.stdout, 'app\na b');
    });

    test('kills a timed-out command and its children, leaving no process', async () => {
      const marker = `sleep 10${randomBytes(2).readUInt16BE() % 9}7`;
      const command = `${marker} & ${marker} & ${marker}; echo never`;
      const result = await host.run(command, { timeout: 500, reject: false });
      assert.equal(result.timedOut, true);
      assert.equal(result.ok, false);
      assert.equal(result.exitCode, 137);
      assert.equal(result.stdout, '');

      const processes = await host.run('ps');
      assert.ok(!String(processes.stdout).includes(marker), String(processes.stdout));

      const error = await host.run('sleep 60', { timeout: 300 }).then(
        () => assert.fail('a timed-out command resolved'),
        (caught: unknown) => caught,
      );
      assert.ok(error instanceof CommandFailedError);
      assert.equal(error.code, 'LXDAPI_COMMAND_TIMEOUT');
      assert.equal(error.timedOut, true);
    });

    test('delivers live output while the command runs', async () => {
      // The command goes on only once the test has seen its first line: that can
      // happen only if the line was delivered while the command was running.
      await assertLiveOutput(host);
    });

    test('delivers numbered lines complete and in order, every byte once', async () => {
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      const result = await host.run(
        'i=1; while [ $i -le 40 ]; do echo "line $i"; echo "err $i" >&2; ' +
          '[ $((i % 10)) -eq 0 ] && sleep 0.3; i=$((i+1)); done',
        { onStdout: (chunk) => out.push(chunk), onStderr: (chunk) => err.push(chunk) },
      );
      const lines = (prefix: string) =>
        Array.from({ length: 40 }, (_, i) => `${prefix} ${i + 1}\n`).join('');
      assert.equal(Buffer.concat(out).toString(), lines('line'));
      assert.equal(Buffer.concat(err).toString(), lines('err'));
      assert.equal(result.stdout, lines('line').trimEnd());
    });

    test('streams 200 MiB of output to a file while memory stays flat', async () => {
      const file = join(tmpdir(), `lxd-api-out-${randomBytes(4).toString('hex')}`);
      const line = `${'0123456789abcdef'.repeat(4).slice(0, 63)}\n`;
      const size = 200 * 1024 * 1024;
      const expected = createHash('sha256');
      const block = Buffer.from(line.repeat(1024));
      for (let done = 0; done < size; done += block.length) expected.update(block);

      const baseline = process.memoryUsage().rss;
      let peak = baseline;
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 20);
      let result;
      try {
        result = await host.run(`yes '${line.trimEnd()}' | head -c ${size}`, {
          stdout: { file },
        });
      } finally {
        clearInterval(sampler);
      }
      try {
        assert.equal(result.stdout, '');
        assert.equal((await stat(file)).size, size);
        const actual = createHash('sha256');
        await pipeline(createReadStream(file), actual);
        assert.equal(actual.digest('hex'), expected.digest('hex'));
      } finally {
        await rm(file, { force: true });
      }
      const growth = peak - baseline;
      assert.ok(growth < 64 * 1024 * 1024, `memory grew by ${growth} bytes`);
    });

    test('refuses to keep more output in memory than maxBuffer', async () => {
      const error = await host.run('head -c 5000 /dev/zero', { maxBuffer: 1000 }).then(
        () => assert.fail('output past maxBuffer was accepted'),
        (caught: unknown) => caught,
      );
      assert.ok(error instanceof OutputLimitError);
      assert.equal(error.code, 'LXDAPI_OUTPUT_LIMIT');
      assert.equal(error.stream, 'stdout');
      assert.equal(error.limit, 1000);
    });

    test('runs many commands at once on one host', async () => {
      // A barrier: each command waits until all have started, which only
      // commands that really run side by side can pass.
      const dir = `/tmp/barrier-${randomBytes(6).toString('hex')}`;
      const count = 8;
      const results = await Promise.all(
        Array.from({ length: count }, (_, i) =>
          host.run(
            `mkdir -p ${dir}; touch ${dir}/${i}; n=0; ` +
              `while [ "$(ls ${dir} | wc -l)" -lt ${count} ] && [ $n -lt 300 ]; ` +
              `do sleep 0.05; n=$((n+1)); done; ls ${dir} | wc -l`,
          ),
        ),
      );
      await host.run(['rm', '-rf', dir]);
      for (const result of results)
        assert.equal(String(result.stdout).trim(), String(count));
    });

    test('gives live output as an async iterator, and the result after it', async () => {
      const running = host.stream('echo a; echo b >&2; sleep 0.2; echo c');
      const seen: string[] = [];
      for await (const chunk of running)
        seen.push(`${chunk.stream}:${chunk.data.toString()}`);
      const result = await running.result;
      const joined = (name: string) =>
        seen
          .filter((each) => each.startsWith(name))
          .map((each) => each.slice(name.length + 1))
          .join('');
      assert.equal(joined('stdout'), 'a\nc\n');
      assert.equal(joined('stderr'), 'b\n');
      assert.equal(result.stdout, 'a\nc');
    });

    test('writes output into a stream of the caller, which stays open', async () => {
      const sink = new PassThrough();
      const received: Buffer[] = [];
      sink.on('data', (chunk: Buffer) => received.push(chunk));
      const result = await host.run('echo to the stream', { stdout: sink });
      assert.equal(result.stdout, '');
      assert.equal(Buffer.concat(received).toString(), 'to the stream\n');
      assert.equal(sink.writableEnded, false);
      sink.end();
    });

    test('gives input to a command that runs as another user', async () => {
      const result = await host.run('id -u; cat', { user: 'app', input: 'secret' });
      assert.equal(result.stdout, '1000\nsecret');
    });

    test('refuses a PTY and bad option values before sending anything', async () => {
      const before = host.api.transport.stats.requests;
      for (const [options, words] of [
        [{ pty: true }, ['PTY', 'not supported']],
        [{ timeout: -5 }, ['timeout', '-5']],
        [{ timeout: Number.NaN }, ['timeout', 'NaN']],
        [{ user: -1 }, ['user', '-1']],
        [{ group: 1.5 }, ['group', '1.5']],
      ] as const) {
        const error = await host.run('true', options).then(
          () => assert.fail(`${JSON.stringify(options)} was accepted`),
          (caught: unknown) => caught,
        );
        assert.ok(error instanceof CommandInputError, String(error));
        assert.equal(error.code, 'LXDAPI_COMMAND_INPUT');
        for (const word of words) assert.ok(error.message.includes(word), error.message);
      }
      assert.equal(host.api.transport.stats.requests, before);
    });

    test('names an unknown user and the fix', async () => {
      const error = await host.run('true', { user: 'nobody-here' }).then(
        () => assert.fail('an unknown user was accepted'),
        (caught: unknown) => caught,
      );
      assert.ok(error instanceof UnknownUserError);
      assert.equal(error.code, 'LXDAPI_UNKNOWN_USER');
      assert.equal(error.user, 'nobody-here');
      assert.ok(error.message.includes('/etc/passwd') && error.message.includes('uid'));
    });
  });
}

for (const [server, mode] of serversAndModes()) {
  describe(`host.run() with sudo on ${server.title} in ${mode} mode`, () => {
    const remotes = new RemoteRegistry();
    after(() => remotes.close());

    test('runs through sudo -n, as root or as the user asked for', async () => {
      const host = await connect(`${server.remotes.https}:${server.sudoInstance}`, {
        env,
        remotes,
        mode,
      });
      try {
        const root = await host.run(['id', '-u'], { user: 'app', sudo: true });
        assert.equal(root.stdout, '0');
        assert.deepEqual(root.argv, ['sudo', '-n', '--', 'id', '-u']);
        const app = await host.run('id -un; echo "$0"', { sudoUser: 'app' });
        assert.equal(app.stdout, 'app\nsh');
      } finally {
        await host.disconnect();
      }
    });
  });
}

// Text that is hard to pass through a shell: quotes, dollars, backticks,
// backslashes, newlines, options, unicode; no NUL, which no argv can hold.
function awkwardText(): fc.Arbitrary<string> {
  const piece = fc.oneof(
    fc.constantFrom(
      "'",
      '"',
      '$',
      '`',
      '\\',
      '\n',
      '$(id)',
      '%s',
      '-n',
      ' ',
      '*',
      '~',
      'é',
      '😀',
    ),
    fc.string({ unit: 'binary', maxLength: 12 }),
  );
  return (
    fc
      .array(piece, { maxLength: 12 })
      .map((pieces) => pieces.join(''))
      // Lone surrogates have no UTF-8 form: they could not come back as they went.
      .filter((text) => !text.includes('\0') && Buffer.from(text).toString() === text)
  );
}
