// The built `lxd-api` binary end to end, against the sandbox's real servers:
// target selection, output modes, summaries, exit codes, --retry-failed, stdin.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { before, describe, test } from 'node:test';

import { Ajv } from 'ajv';

import { lxdApi, stateDir } from '../helpers/cli.js';
import { sandboxClient, sandboxServers } from '../helpers/sandbox.js';

const [lxd, incus] = sandboxServers() as [
  ReturnType<typeof sandboxServers>[number],
  ReturnType<typeof sandboxServers>[number],
];
const schema = JSON.parse(
  readFileSync(
    resolve(import.meta.dirname, '../../schemas/exec-result.schema.json'),
    'utf8',
  ),
) as object;
const validate = new Ajv({ allErrors: true }).compile(schema);

describe('lxd-api', () => {
  before(async () => {
    // Roles for the config filter: web-* are web servers, the rest are not.
    for (const name of lxd.instances) {
      const role = name.startsWith('web-') ? 'web' : 'db';
      await sandboxClient(lxd, ['config', 'set', name, 'user.role', role]);
    }
  });

  test('ls lists the instances of the default remote with their columns', async () => {
    const { code, stdout } = await lxdApi(['ls']);
    assert.equal(code, 0);
    const [header, ...rows] = stdout.trimEnd().split('\n');
    assert.match(
      header ?? '',
      /^INSTANCE\s+REMOTE\s+PROJECT\s+STATUS\s+TYPE\s+LOCATION$/,
    );
    for (const name of lxd.instances) {
      assert.ok(
        rows.some((row) =>
          new RegExp(`^${name}\\s+lxd\\s+${lxd.project}\\s+Running\\s+container`).test(
            row,
          ),
        ),
        `${name} in\n${stdout}`,
      );
    }
  });

  test('selects by glob, whole remote, project, status and config, in a dry run', async () => {
    const dry = async (command: string, ...args: string[]) => {
      const { code, stdout } = await lxdApi([command, '--dry-run', ...args]);
      return { code, labels: stdout.trim() === '' ? [] : stdout.trim().split('\n') };
    };
    assert.deepEqual((await dry('exec', 'lxd:web-*', '--', 'true')).labels, [
      'lxd:web-1',
      'lxd:web-2',
    ]);
    const whole = await dry('exec', 'incus:', '--', 'true');
    for (const name of incus.instances) assert.ok(whole.labels.includes(`incus:${name}`));
    assert.deepEqual(
      (await dry('ls', 'lxd:', '--project', lxd.otherProject)).labels,
      lxd.otherInstances.map((name) => `lxd:${name}`),
    );
    assert.deepEqual(
      (await dry('check', 'lxd:', '--config', 'user.role=db')).labels.sort(),
      ['lxd:db-1', ...(lxd.instances.includes('deb-1') ? ['lxd:deb-1'] : [])].sort(),
    );
    const none = await dry('exec', 'lxd:', '--status', 'stopped', '--', 'true');
    assert.deepEqual(none, { code: 3, labels: [] });
  });

  test('prefixes each line with its instance and summarizes on stderr', async () => {
    const { code, stdout, stderr } = await lxdApi([
      'exec',
      'lxd:web-*',
      'incus:web-1',
      '--',
      'echo "one $(hostname)"; echo two',
    ]);
    assert.equal(code, 0);
    const lines = stdout.trimEnd().split('\n').sort();
    assert.deepEqual(lines, [
      'incus:web-1 | one web-1',
      'incus:web-1 | two',
      'lxd:web-1 | one web-1',
      'lxd:web-1 | two',
      'lxd:web-2 | one web-2',
      'lxd:web-2 | two',
    ]);
    assert.match(stderr, /^3 succeeded, 0 failed, 0 timed out, 0 could not connect/m);
  });

  test('exits 1 when an instance fails, and names it with its reason', async () => {
    const { code, stderr } = await lxdApi([
      'exec',
      'lxd:web-*',
      '--',
      '[ "$(hostname)" = web-1 ] || { echo "not web-1" >&2; exit 4; }',
    ]);
    assert.equal(code, 1);
    assert.match(stderr, /1 succeeded, 1 failed/);
    assert.match(stderr, /failed: lxd:web-2: exit 4: not web-1/);
  });

  test('writes one JSON object per instance on stdout, valid against the schema', async () => {
    const { code, stdout } = await lxdApi([
      'exec',
      'lxd:web-*',
      'lxd:db-1',
      '--json',
      '--',
      'echo out; echo err >&2; [ "$(hostname)" != db-1 ]',
    ]);
    assert.equal(code, 1);
    const records = stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(records.length, 3);
    for (const record of records) {
      assert.ok(validate(record), JSON.stringify(validate.errors));
      assert.equal(record.stdout, 'out');
      assert.equal(record.stderr, 'err');
    }
    const db = records.find((record) => record.instance === 'db-1');
    assert.ok(db !== undefined);
    assert.equal(db.status, 'failed');
    assert.equal(db.exitCode, 1);
  });

  test('groups each instance output into one block with --group-output', async () => {
    const { code, stdout } = await lxdApi([
      'exec',
      'lxd:web-*',
      '--group-output',
      '--',
      'echo first; sleep 0.1; echo second',
    ]);
    assert.equal(code, 0);
    const blocks = stdout.split(/^── /m).filter((block) => block !== '');
    assert.equal(blocks.length, 2);
    for (const block of blocks) {
      assert.match(block, /^lxd:web-[12] \(exit 0, \d+ ms\)\nfirst\nsecond\n$/);
    }
  });

  test('re-runs only the instances that failed last time with --retry-failed', async () => {
    const state = stateDir();
    const failing = await lxdApi(
      ['exec', 'lxd:web-*', '--', '[ "$(hostname)" = web-1 ]'],
      { state },
    );
    assert.equal(failing.code, 1);
    const retry = await lxdApi(
      ['exec', '--retry-failed', '--dry-run', 'x', '--', 'true'],
      {
        state,
      },
    );
    assert.equal(retry.code, 0);
    assert.deepEqual(retry.stdout.trim().split('\n'), ['lxd:web-2']);

    const none = await lxdApi(['exec', '--retry-failed', 'x', '--', 'true'], {
      state: stateDir(),
    });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /recorded no failed instance/);
  });

  test('gives standard input to the command', async () => {
    const { code, stdout } = await lxdApi(['exec', 'lxd:web-1', '--', 'tr a-z A-Z'], {
      input: 'from stdin\n',
    });
    assert.equal(code, 0);
    assert.equal(stdout, 'FROM STDIN\n');
  });

  test('runs the command in a session with --session, input and exit code included', async () => {
    const { code, stdout, stderr } = await lxdApi(
      ['exec', '--session', 'lxd:web-*', '--', 'tr a-z A-Z; [ "$(hostname)" = web-1 ]'],
      { input: 'from stdin\n' },
    );
    assert.equal(code, 1);
    assert.match(stdout, /^lxd:web-1 \| FROM STDIN$/m);
    assert.match(stdout, /^lxd:web-2 \| FROM STDIN$/m);
    assert.match(stderr, /failed: lxd:web-2: exit 1/);
  });

  test('exits 2 with one line and no stack trace on bad usage and configuration', async () => {
    for (const args of [
      ['exec', 'lxd:web-1'],
      ['exec', 'nosuchremote:web-1', '--', 'true'],
      ['exec', 'lxd:web-1', '--timeout', 'soon', '--', 'true'],
      ['exec', 'lxd:web-1', '--bogus', '--', 'true'],
      ['ls', 'lxd:bad_name'],
    ]) {
      const { code, stderr } = await lxdApi(args);
      assert.equal(code, 2, `${args.join(' ')}: ${stderr}`);
      assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
      assert.ok(stderr.trim().length > 0);
    }
  });

  test('prints the version of the package with --version and exits 0', async () => {
    const manifest = JSON.parse(
      readFileSync(resolve(import.meta.dirname, '../../package.json'), 'utf8'),
    ) as { version: string };
    const { code, stdout } = await lxdApi(['--version']);
    assert.equal(code, 0);
    assert.equal(stdout, `${manifest.version}\n`);
  });

  test('exits 3 when nothing matches', async () => {
    const { code, stderr } = await lxdApi(['exec', 'lxd:zzz-*', '--', 'true']);
    assert.equal(code, 3);
    assert.match(stderr, /no instance matched lxd:zzz-\*/);
  });

  test('check reports the server, the status and the extensions of each instance', async () => {
    const { code, stdout } = await lxdApi(['check', 'lxd:web-1', 'incus:web-1']);
    assert.equal(code, 0);
    assert.match(
      stdout,
      /^lxd:web-1 {2}LXD 5\.0\.2 {2}Running {2}rtt [\d.]+ ms .*container_exec_recording:yes/m,
    );
    assert.match(stdout, /^incus:web-1 {2}Incus 6\.0\.4 {2}Running/m);
  });

  test('--debug logs each request with its status, and never a header or body', async () => {
    const { code, stderr } = await lxdApi([
      '--debug',
      'exec',
      'lxd:web-1',
      '--env',
      'SECRET=hunter2',
      '--',
      'true',
    ]);
    assert.equal(code, 0);
    assert.match(stderr, /^debug: GET \/1\.0 -> 200 [\d.]+ ms$/m);
    assert.match(
      stderr,
      /^debug: POST \/1\.0\/instances\/web-1\/exec\?project=\S+ -> 202/m,
    );
    assert.doesNotMatch(stderr, /hunter2/);
  });

  test('put copies a file to every target and get brings each copy back apart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lxd-api-cli-'));
    const remote = `/tmp/cli-put-${randomBytes(4).toString('hex')}/file.txt`;
    try {
      await writeFile(join(dir, 'file.txt'), 'put by the cli\n');
      const put = await lxdApi([
        'put',
        '--parents',
        '--mode',
        '640',
        '--owner',
        'app',
        join(dir, 'file.txt'),
        'lxd:web-*',
        'incus:web-1',
        remote,
      ]);
      assert.equal(put.code, 0, put.stderr);
      const listed = await lxdApi([
        'exec',
        'lxd:web-1',
        'incus:web-1',
        '--json',
        '--',
        `stat -c '%a %U' ${remote}`,
      ]);
      for (const line of listed.stdout.trimEnd().split('\n')) {
        assert.equal((JSON.parse(line) as { stdout: string }).stdout, '640 app');
      }

      const get = await lxdApi([
        'get',
        'lxd:web-*',
        'incus:web-1',
        remote,
        join(dir, 'copies'),
      ]);
      assert.equal(get.code, 0, get.stderr);
      for (const [server, name] of [
        ['lxd', 'web-1'],
        ['lxd', 'web-2'],
        ['incus', 'web-1'],
      ] as const) {
        const copy = await readFile(
          join(dir, 'copies', server, name, 'file.txt'),
          'utf8',
        );
        assert.equal(copy, 'put by the cli\n');
      }
    } finally {
      await lxdApi([
        'exec',
        'lxd:web-*',
        'incus:web-1',
        '--',
        `rm -rf ${dirname(remote)}`,
      ]);
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('put refuses a directory without --recursive and a mode that is not octal', async () => {
    const directory = await lxdApi(['put', tmpdir(), 'lxd:web-1', '/tmp/x']);
    assert.equal(directory.code, 2);
    assert.match(directory.stderr, /is a directory; add --recursive/);
    const file = resolve(import.meta.dirname, '../../package.json');
    const mode = await lxdApi(['put', '--mode', '999', file, 'lxd:web-1', '/tmp/x']);
    assert.equal(mode.code, 2);
    assert.match(mode.stderr, /--mode takes an octal mode/);
  });

  test('bench times connect, exec, put and get with the requests each costs', async () => {
    const { code, stdout } = await lxdApi([
      'bench',
      'lxd:web-1',
      '--count',
      '3',
      '--json',
    ]);
    assert.equal(code, 0);
    const rows = stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { operation: string; requests: number });
    // A cold connect pipelines GET /1.0, the instance and the cluster's members.
    assert.deepEqual(
      rows.map((row) => [row.operation, row.requests]),
      [
        ['connect (cold)', 3],
        ['exec true (warm)', 7],
        ['put 100 B', 1],
        ['get 100 B', 1],
      ],
    );
  });
});
