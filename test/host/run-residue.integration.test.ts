// Nothing is left behind: a thousand commands per server, failures, timeouts,
// input, live output and interruptions among them, leave no output or input file.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { connect } from '../../src/host/connect.js';
import { AbortError } from '../../src/transport/errors.js';
import type { Host } from '../../src/host/host.js';
import type { RunOptions } from '../../src/host/run.js';
import { RemoteRegistry } from '../../src/host/remote-registry.js';
import { leftoverInputFiles, leftoverOutputFiles } from '../helpers/residue.js';
import { sandboxEnv, serversAndModes } from '../helpers/sandbox.js';

const env = sandboxEnv();
const total = 1000;
const parallel = 10;

for (const [server, mode] of serversAndModes()) {
  describe(`a thousand commands on ${server.title} in ${mode} mode`, () => {
    const remotes = new RemoteRegistry();
    let host: Host;
    before(async () => {
      host = await connect(`${server.remotes.https}:${server.instances[1] ?? ''}`, {
        env,
        remotes,
        mode,
      });
    });
    after(async () => {
      await host.disconnect();
      await remotes.close();
    });

    test('leave no output file and no input file in the instance', async () => {
      const outcomes = { ok: 0, failed: 0, timedOut: 0, aborted: 0 };
      let next = 0;
      const worker = async () => {
        for (let i = next++; i < total; i = next++) {
          const [command, options] = commandFor(i);
          try {
            const result = await host.run(command, { ...options, reject: false });
            if (result.timedOut) outcomes.timedOut += 1;
            else if (result.ok) outcomes.ok += 1;
            else outcomes.failed += 1;
          } catch (error) {
            assert.ok(options.signal?.aborted, `command ${i} threw: ${String(error)}`);
            assert.ok(error instanceof AbortError, String(error));
            // A session-mode command may be aborted while it waits for a session.
            if (mode === 'record' || error.sent !== 'no') assert.equal(error.sent, 'yes');
            outcomes.aborted += 1;
          }
        }
      };
      await Promise.all(Array.from({ length: parallel }, worker));

      assert.equal(
        outcomes.ok + outcomes.failed + outcomes.timedOut + outcomes.aborted,
        total,
      );
      assert.ok(
        outcomes.failed >= 200,
        `failures among them: ${JSON.stringify(outcomes)}`,
      );
      assert.ok(
        outcomes.timedOut >= 10,
        `timeouts among them: ${JSON.stringify(outcomes)}`,
      );
      assert.ok(
        outcomes.aborted >= 5,
        `interruptions among them: ${JSON.stringify(outcomes)}`,
      );
      assert.deepEqual(await leftoverOutputFiles(host), []);
      assert.deepEqual(await leftoverInputFiles(host), []);
    });
  });
}

function commandFor(i: number): [string | string[], RunOptions] {
  if (i % 100 === 7) {
    // Interrupted by the caller while it runs.
    return ['sleep 5', { signal: AbortSignal.timeout(150) }];
  }
  if (i % 50 === 3) return ['sleep 5 & sleep 5', { timeout: 150 }];
  if (i % 10 === 0) return ['echo failing >&2; exit 1', {}];
  if (i % 10 === 1) return [['/no/such/binary'], {}];
  if (i % 10 === 2) return ['cat', { input: `input ${i}\n` }];
  if (i % 25 === 4) return ['echo live', { onStdout: () => undefined }];
  return [['true'], {}];
}
