// Proof that live output arrives while a command runs: the command waits for a flag
// file that the test makes only once it has seen the command's first line.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';

import type { Host } from '../../src/host/host.js';

/** Runs the handshake on `host` and asserts that the output came in time, in full. */
export async function assertLiveOutput(host: Host): Promise<void> {
  const flag = `/tmp/seen-${randomBytes(6).toString('hex')}`;
  const chunks: Buffer[] = [];
  let told: Promise<unknown> | undefined;
  const result = await host.run(
    `echo first; i=0; while [ ! -e ${flag} ] && [ $i -lt 400 ]; do sleep 0.05; ` +
      `i=$((i+1)); done; [ -e ${flag} ] && echo second || echo gave-up; rm -f ${flag}`,
    {
      onStdout: (chunk) => {
        chunks.push(chunk);
        if (told === undefined && Buffer.concat(chunks).includes('first\n')) {
          told = host.run(['touch', flag]);
        }
      },
    },
  );
  await told;
  assert.equal(result.stdout, 'first\nsecond');
  assert.equal(Buffer.concat(chunks).toString(), 'first\nsecond\n');
}
