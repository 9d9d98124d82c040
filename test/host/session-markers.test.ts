// The session's marker scanner and command lines, without a server: markers split
// anywhere across chunks, late output before the begin marker, bytes after the end.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import fc from 'fast-check';

import { commandLine } from '../../src/host/session/driver.js';
import { MarkerScanner } from '../../src/host/session/markers.js';

const token = 'a'.repeat(8) + '0123456789abcdef0123456789abcdef'.slice(0, 24);

describe('MarkerScanner', () => {
  test('delivers exactly the bytes between the markers, however the stream is cut', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.uint8Array({ maxLength: 50 }),
        fc.array(fc.nat({ max: 400 }), { maxLength: 8 }),
        fc.nat({ max: 255 }),
        (output, late, cuts, exitCode) => {
          const stream = Buffer.concat([
            Buffer.from(late),
            Buffer.from(`${token}<\n`),
            Buffer.from(output),
            Buffer.from(`${token}>${exitCode}\n`),
            Buffer.from('after the end'),
          ]);
          const delivered: Buffer[] = [];
          const scanner = new MarkerScanner(token, (chunk) => delivered.push(chunk));
          let from = 0;
          for (const at of [
            ...cuts.map((cut) => cut % (stream.length + 1)),
            stream.length,
          ].sort((a, b) => a - b)) {
            scanner.feed(stream.subarray(from, Math.max(from, at)));
            from = Math.max(from, at);
          }
          assert.equal(scanner.done, true);
          assert.equal(scanner.began, true);
          assert.equal(scanner.exitCode, exitCode);
          assert.deepEqual(Buffer.concat(delivered), Buffer.from(output));
        },
      ),
      { numRuns: 300 },
    );
  });

  test('holds back only what could be the start of the end marker', () => {
    const delivered: string[] = [];
    const scanner = new MarkerScanner(token, (chunk) => delivered.push(chunk.toString()));
    scanner.feed(Buffer.from(`${token}<\nfirst line\n`));
    assert.deepEqual(delivered, ['first line\n']);
    scanner.feed(Buffer.from(`tail ${token.slice(0, 5)}`));
    assert.deepEqual(delivered, ['first line\n', 'tail ']);
    scanner.feed(Buffer.from('zz'));
    assert.deepEqual(delivered.slice(2), [`${token.slice(0, 5)}zz`]);
    assert.equal(scanner.done, false);
  });

  test('skips everything before the begin marker, another token included', () => {
    const delivered: Buffer[] = [];
    const scanner = new MarkerScanner(token, (chunk) => delivered.push(chunk));
    scanner.feed(Buffer.from(`late output\n${'b'.repeat(32)}>0\n`));
    assert.equal(scanner.began, false);
    assert.deepEqual(delivered, []);
  });
});

describe('commandLine', () => {
  test('writes one line whatever the words hold, newlines and quotes included', () => {
    const line = commandLine({
      token,
      argv: ['printf', '%s', "it's\na test"],
      env: { GREETING: 'two\nlines' },
      cwd: '/tmp/a b',
      inputLength: 4,
    });
    assert.equal(line.indexOf('\n'), line.length - 1, line);
    assert.ok(line.startsWith(`_b ${token} 4; `), line);
    assert.ok(line.includes(`'it'\\''s'"$nl"'a test'`), line);
    assert.ok(line.includes(`export 'GREETING=two'"$nl"'lines'`), line);
    assert.ok(line.includes(`cd -- '/tmp/a b' || exit 1`), line);
  });
});
