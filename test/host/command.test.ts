import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { buildArgv, CommandInputError, quoteArgv } from '../../src/host/command.js';

describe('buildArgv', () => {
  test('runs a string through sh -c, or the shell asked for', () => {
    assert.deepEqual(buildArgv('echo $HOME'), ['sh', '-c', 'echo $HOME']);
    assert.deepEqual(buildArgv('echo', { shell: 'bash' }), ['bash', '-c', 'echo']);
  });

  test('passes an argv through untouched', () => {
    assert.deepEqual(buildArgv(['ls', '-l', 'a b']), ['ls', '-l', 'a b']);
  });

  test('wraps with sudo -n, as a given user when asked', () => {
    assert.deepEqual(buildArgv(['id'], { sudo: true }), ['sudo', '-n', '--', 'id']);
    assert.deepEqual(buildArgv(['id'], { sudoUser: 'app' }), [
      'sudo',
      '-n',
      '-u',
      'app',
      '--',
      'id',
    ]);
  });

  test('wraps with su, quoting the argv into one shell string', () => {
    assert.deepEqual(buildArgv(['echo', "it's"], { su: 'app' }), [
      'su',
      '-s',
      '/bin/sh',
      'app',
      '-c',
      `echo 'it'\\''s'`,
    ]);
  });

  test('refuses an empty command, saying what to give instead', () => {
    for (const command of ['', [], ['']]) {
      const error = catchInput(() => buildArgv(command));
      assert.equal(error.code, 'LXDAPI_COMMAND_INPUT');
      assert.match(error.message, /command is empty/);
    }
  });

  test('refuses a NUL byte in an argument and names the word', () => {
    const error = catchInput(() => buildArgv(['printf', 'a\0b']));
    assert.match(error.message, /Word 1 of command .* NUL byte/);
    assert.match(error.message, /as input/);
  });
});

describe('quoteArgv', () => {
  test('leaves plain words alone and single-quotes the rest', () => {
    assert.equal(quoteArgv(['ls', '-l', '/tmp/x.txt']), 'ls -l /tmp/x.txt');
    assert.equal(quoteArgv(['a b', '$x', '', "'"]), `'a b' '$x' '' ''\\'''`);
  });
});

function catchInput(fn: () => unknown): CommandInputError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof CommandInputError, String(error));
    return error;
  }
  assert.fail('nothing was thrown');
}
