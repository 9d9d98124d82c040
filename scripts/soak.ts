// `npm run soak`: 10,000 commands on one host of the sandbox over one connection,
// with failures and injected faults mixed in; prints the open file descriptors,
// the memory and what was left on the server. Too long for `npm test`, which runs
// a short soak (test/faults/soak.integration.test.ts).
import { sandboxServers } from '../test/helpers/sandbox.js';
import { soak } from '../test/helpers/soak.js';

const usage = `usage: npm run soak [-- --count N] [-- --fault-every N] [-- --incus]

Runs N commands (10000) one after another on the sandbox's LXD (or Incus) over one
connection, through a fault proxy that breaks the exec batch every 100th command
(or every Nth; 0 for none),
and prints file descriptors, memory and leftovers. Needs \`npm run sandbox\`.`;

const args = process.argv.slice(2);
if (args.includes('--help')) {
  console.log(usage);
  process.exit(0);
}
const countAt = args.indexOf('--count');
const count = countAt === -1 ? 10_000 : Number(args[countAt + 1]);
if (!Number.isInteger(count) || count < 10) {
  console.error(`--count takes a whole number of commands (10 or more).\n${usage}`);
  process.exit(2);
}
const everyAt = args.indexOf('--fault-every');
const faultEvery = everyAt === -1 ? 100 : Number(args[everyAt + 1]);
const kind = args.includes('--incus') ? 'incus' : 'lxd';
const server = sandboxServers().find((each) => each.kind === kind);
if (server === undefined) throw new Error(`the sandbox has no ${kind} server`);

const step = Math.max(1, Math.floor(count / 10));
const figures = await soak(server, {
  count,
  faultEvery,
  onProgress: (done) => {
    if (done % step === 0) process.stderr.write(`soak: ${done}/${count}\n`);
  },
});
const mib = (value: number) => `${value.toFixed(1)} MiB`;
console.log(
  `soak on ${figures.server}: ${figures.commands} commands in ${figures.seconds.toFixed(0)} s`,
);
console.log(`  outcomes     ${JSON.stringify(figures.outcomes)}`);
console.log(
  `  faults       ${figures.faults} injected; ${figures.connections} connections opened`,
);
console.log(
  `  open fds     ${figures.fds.warm} after warm-up, ${figures.fds.end} at the end`,
);
console.log(
  `  heap (GC'd)  ${mib(figures.heapMiB.warm)} after warm-up, ${mib(figures.heapMiB.end)} at the end`,
);
console.log(
  `  rss          ${mib(figures.rssMiB.warm)} after warm-up, ${mib(figures.rssMiB.end)} at the end`,
);
for (const error of figures.errors) console.log(`  error        ${error}`);
console.log(`  leftovers    ${figures.leftovers.length} files on the server`);
process.exitCode = figures.leftovers.length === 0 ? 0 : 1;
