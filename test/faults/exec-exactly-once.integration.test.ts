// Exactly once, under faults: a FAULT proxy between the client and the sandbox's
// real LXD and Incus breaks one request of an exec at a time, at every step of
// the protocol, in every way it knows. The command appends a line to a counter
// file; the counter is read afterwards over a straight connection.
//
// Guarantee: the command ran once and run() resolved with its whole output, or
// run() rejected with a CommandInterruptedError saying plainly whether it ran
// (`maybe` before the server confirmed the start, `yes` after); it never ran twice,
// and no output file of it is left on the server.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { CommandInterruptedError } from '../../src/host/errors.js';
import type { RunResult } from '../../src/host/run.js';
import { execSteps, type HttpFault } from '../helpers/fault-proxy.js';
import { faultBench, type FaultBench } from '../helpers/fault-setup.js';
import { operationFiles } from '../helpers/residue.js';
import { sandboxServers } from '../helpers/sandbox.js';

/**
 * Each case runs this often: faults are timing-sensitive, one pass proves little.
 * Two keep the suite short; LXD_API_FAULT_REPEATS asks for more.
 */
const repeats = Number(process.env.LXD_API_FAULT_REPEATS ?? 2);

const faults: readonly HttpFault[] = [
  { kind: 'status', status: 503 },
  { kind: 'status', status: 504, forward: true },
  { kind: 'drop' },
  { kind: 'close-after-forward' },
  { kind: 'cut' },
];

type Step = keyof typeof execSteps;

/** Steps before which the server has not confirmed the start: a failure there is `maybe`. */
const beforeStart: readonly Step[] = ['upload', 'exec'];

describe('exactly once on LXD and Incus (side by side), behind a fault proxy', () => {
  let benches: FaultBench[];
  before(async () => {
    benches = await Promise.all(
      sandboxServers().map((server) =>
        faultBench(server, server.instances[1] ?? 'web-2'),
      ),
    );
  });
  after(async () => {
    await Promise.all(benches.map((bench) => bench.close()));
  });

  for (const [step, selector] of Object.entries(execSteps) as [Step, Selector][]) {
    for (const fault of faults) {
      const name = `${describeFault(fault)} at the ${step} step`;
      test(`${name}: the command runs once, or the error says whether it ran`, async () => {
        await Promise.all(benches.map((bench) => oneCase(bench, step, selector, fault)));
      });
    }
  }

  test('after all the faults, a plain command still works on the same hosts', async () => {
    for (const bench of benches) {
      const result = await bench.host.run('echo still');
      assert.equal(result.stdout, 'still');
    }
  });
});

type Selector = (typeof execSteps)[Step];

async function oneCase(
  bench: FaultBench,
  step: Step,
  selector: Selector,
  fault: HttpFault,
): Promise<void> {
  const where = `${bench.host.remote.name}, ${describeFault(fault)} at ${step}`;
  for (let round = 0; round < repeats; round += 1) {
    const counter = bench.counter();
    bench.proxy.reset();
    bench.proxy.inject({ ...selector, fault });
    const input = step === 'upload' ? { input: 'in\n' } : {};

    const outcome = await bench.host
      .run(`${counter.append}; cat; echo out; echo err >&2`, input)
      .then(
        (result: RunResult) => result,
        (error: unknown) => error,
      );
    const operations = operationsSeen(bench);
    assert.deepEqual(bench.proxy.unused, [], `${where}: the fault never hit`);

    // After the start, everything is safe to repeat: the client recovers. Except
    // when a gateway answers 50x to the wait or a read and lets the rest of the
    // batch through: the deletes then went before the output was read.
    const lossy =
      fault.kind === 'status' &&
      (step === 'wait' || step === 'readStdout' || step === 'readStderr');
    if (!beforeStart.includes(step) && !lossy) {
      assert.ok(
        !(outcome instanceof Error),
        `${where}: did not recover: ${String(outcome)}`,
      );
    }
    if (outcome instanceof CommandInterruptedError) {
      const ran = await settledCount(counter);
      const expected = beforeStart.includes(step) ? 'maybe' : 'yes';
      assert.equal(outcome.ran, expected, `${where}: ${outcome.message}`);
      assert.match(
        outcome.message,
        expected === 'maybe' ? /may or may not have run/ : /started \(operation/,
      );
      assert.ok(ran <= 1, `${where}: ran ${ran} times: ${outcome.message}`);
      if (expected === 'yes') assert.equal(ran, 1, `${where}: ${outcome.message}`);
    } else {
      assert.ok(!(outcome instanceof Error), `${where}: unexpected ${String(outcome)}`);
      const result = outcome as RunResult;
      assert.equal(await counter.count(), 1, where);
      assert.equal(result.stdout, `${step === 'upload' ? 'in\n' : ''}out`, where);
      assert.equal(result.stderr, 'err', where);
    }
    if (step === 'upload') {
      assert.deepEqual(
        await inputFilesLeft(bench),
        [],
        `${where}: an input file was left; requests:\n${transcript(bench)}`,
      );
    }
    const left = await operationFiles(bench.direct, operations.all);
    await removeSwallowed(bench, left, operations.swallowed);
    assert.deepEqual(
      left.filter((url) => !operations.swallowed.some((id) => url.includes(id))),
      [],
      where,
    );
  }
}

function describeFault(fault: HttpFault): string {
  switch (fault.kind) {
    case 'status':
      return fault.forward === true
        ? `${fault.status} after forwarding`
        : `${fault.status}`;
    case 'delay':
      return `a ${fault.ms} ms delay`;
    default:
      return fault.kind;
  }
}

/**
 * The operation ids of this case's commands, and no others: in the paths the
 * proxy saw, and in an exec's answer that a fault kept from the client.
 */
function operationsSeen(bench: FaultBench): { all: string[]; swallowed: string[] } {
  const id = (text: string | undefined) =>
    /operations\/([0-9a-f-]{36})/.exec(text ?? '')?.[1];
  const swallowed = bench.proxy.seen.flatMap((each) =>
    /\/exec(\?|$)/.test(each.path) ? (id(each.swallowed) ?? []) : [],
  );
  const all = bench.proxy.seen.flatMap((each) => id(each.path) ?? []);
  return { all: [...new Set([...all, ...swallowed])], swallowed };
}

function transcript(bench: FaultBench): string {
  return bench.proxy.seen
    .map((each) => `#${each.connection} ${each.method} ${each.path} ${each.fault ?? ''}`)
    .join('\n');
}

/** The input files this case uploaded (their paths are in the proxy's record) still there. */
async function inputFilesLeft(bench: FaultBench): Promise<string[]> {
  const paths = bench.proxy.seen.flatMap((each) => {
    const match = /files\?path=(%2Ftmp%2F\.lxd-api-stdin-[0-9a-f]+)/.exec(each.path);
    return match?.[1] === undefined ? [] : [decodeURIComponent(match[1])];
  });
  const left: string[] = [];
  for (const path of new Set(paths)) {
    const found = await bench.direct.stat(path).then(
      () => true,
      () => false,
    );
    if (found) left.push(path);
  }
  return left;
}

/**
 * Deletes the output files of a command whose exec answer never reached the
 * client. The client cannot know the operation, so it cannot delete them: a
 * limitation the README states. The test cleans up on its behalf.
 */
async function removeSwallowed(
  bench: FaultBench,
  left: readonly string[],
  swallowed: readonly string[],
): Promise<void> {
  for (const url of left.filter((each) => swallowed.some((id) => each.includes(id)))) {
    const response = await bench.direct.api.transport.request({
      method: 'DELETE',
      path: bench.direct.api.path(url),
    });
    await response.body.dump();
  }
}

/**
 * The counter once a command whose start was cut off has had time to run: it may
 * still be starting when run() returns. Its line is its first act.
 */
async function settledCount(counter: { count(): Promise<number> }): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 150));
  return counter.count();
}
