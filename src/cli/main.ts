#!/usr/bin/env node
// `lxd-api`: run commands and move files on LXD and Incus instances over the REST
// API. Command modules load only when their command runs, to start fast.
import { Command, CommanderError, Option } from 'commander';

import { ConfigError, HostSpecError, LxdApiError } from '../errors.js';
import { CommandInputError } from '../host/command.js';
import { describeError } from './describe-error.js';
import { exitCodeHelp, exitCodes } from './exit-codes.js';
import { UsageError } from './usage-error.js';
import { packageVersion } from './version.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

const targetHelp = `Targets:
  web-1                 an instance of the default remote
  prod:web-1            an instance of remote prod (@lxd_api/… or @incus_api/… to choose the client config)
  prod:web-*            a glob over the live instance list of prod
  prod:                 every instance of prod`;

async function main(argv: readonly string[]): Promise<number> {
  const dashes = argv.indexOf('--');
  const own = dashes === -1 ? argv : argv.slice(0, dashes);
  const command = dashes === -1 ? [] : argv.slice(dashes + 1);
  let code: number = exitCodes.ok;
  const setCode = (value: number) => {
    code = value;
  };

  const program = new Command('lxd-api')
    .description(
      'Run commands and move files on LXD and Incus instances, straight over their REST API.',
    )
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    .option('--debug', 'log every request with its timing, and show stack traces')
    .addHelpText('after', `\n${targetHelp}\n\n${exitCodeHelp}`)
    .exitOverride()
    .configureOutput({
      outputError: (text, write) => {
        write(text);
      },
    })
    .hook('preAction', (self) => {
      if (self.opts<{ debug?: boolean }>().debug === true) {
        void import('./debug.js').then(({ logRequests }) => {
          logRequests((line) => process.stderr.write(`${line}\n`));
        });
      }
    });

  withTargets(
    program
      .command('exec')
      .description('run a command on every target: lxd-api exec TARGETS -- COMMAND...')
      .argument('<targets...>', 'host specs, globs or remote:')
      .option('-u, --user <user>', 'user name or uid to run as')
      .option('-g, --group <gid>', 'numeric group to run as')
      .option('--cwd <dir>', 'working directory in the instance')
      .option('-e, --env <KEY=VALUE>', 'environment variable (repeatable)', collect)
      .option('--sudo', 'run through sudo -n')
      .option(
        '-t, --timeout <duration>',
        'kill the command after this long (30s, 500ms, 2m)',
      )
      .option('-i, --input <file>', "file to give as the command's standard input")
      .option(
        '-n, --no-stdin',
        'do not read standard input even when it is not a terminal',
      )
      .option('--group-output', "print each instance's output as one block when it ends")
      .option(
        '--session',
        'run in a shell kept open over WebSockets (falls back to record-output)',
      )
      .addHelpText(
        'after',
        '\nOne argument after -- is run by sh -c; several are run as an argv, without a shell.',
      ),
  ).action(async (targets: string[], flags: object) => {
    const { execCommand } = await import('./commands/exec.js');
    setCode(await execCommand(targets, command, flags));
  });

  withTargets(
    program
      .command('ls')
      .description('list instances with remote, project, status, type and location')
      .argument(
        '[targets...]',
        'host specs, globs or remote: (default: the default remote)',
      ),
  ).action(async (targets: string[], flags: object) => {
    const { lsCommand } = await import('./commands/ls.js');
    setCode(await lsCommand(targets, flags));
  });

  withTargets(
    program
      .command('check')
      .description(
        'connect to each target and report its server, extensions, status and round-trip time',
      )
      .argument('<targets...>', 'host specs, globs or remote:'),
  ).action(async (targets: string[], flags: object) => {
    const { checkCommand } = await import('./commands/check.js');
    setCode(await checkCommand(targets, flags));
  });

  withTargets(
    program
      .command('put')
      .description(
        'copy a local file or tree to every target: lxd-api put LOCAL TARGETS... REMOTE_PATH',
      )
      .argument('<args...>', 'LOCAL, then targets, then REMOTE_PATH')
      .option(
        '--mode <octal>',
        'mode of the file, such as 0644 (644 is read as octal too)',
      )
      .option('--owner <user[:group]>', 'owner, by name or id')
      .option('--parents', 'create missing parent directories')
      .option('--atomic', 'replace the file atomically: readers never see a partial one')
      .option(
        '-r, --recursive',
        'copy a directory tree (one tar stream when tar is there)',
      ),
  ).action(async (args: string[], flags: object) => {
    const { putCommand } = await import('./commands/put.js');
    setCode(await putCommand(args, flags));
  });

  withTargets(
    program
      .command('get')
      .description(
        'copy a file or tree from every target to LOCAL_DIR/<remote>/<instance>/: ' +
          'lxd-api get TARGETS... REMOTE_PATH LOCAL_DIR',
      )
      .argument('<args...>', 'targets, then REMOTE_PATH, then LOCAL_DIR')
      .option('-r, --recursive', 'copy a directory tree'),
  ).action(async (args: string[], flags: object) => {
    const { getCommand } = await import('./commands/get.js');
    setCode(await getCommand(args, flags));
  });

  program
    .command('bench')
    .description(
      'time connect, a warm exec, and a put and get of 100 bytes on one instance',
    )
    .argument('<target>', 'a host spec')
    .option('--count <n>', 'runs of each operation (default 20)')
    .option('--json', 'one JSON object per operation')
    .exitOverride()
    .action(async (target: string, flags: object) => {
      const { benchCommand } = await import('./commands/bench.js');
      setCode(await benchCommand(target, flags));
    });

  const remote = program
    .command('remote')
    .description('add, list, switch and remove remotes, without the lxc or incus client')
    .addHelpText(
      'after',
      '\nA token is what `lxc config trust add` or `incus config trust add` prints on ' +
        'the server.\nThe remote goes into the incus configuration for an Incus ' +
        'server (or with --incus),\nelse into the lxc one, as those clients write it.',
    );
  const which = (command: Command) =>
    command
      .option('--lxd', 'work on the lxc configuration (LXD_CONF, ~/.config/lxc)')
      .option('--incus', 'work on the incus configuration (INCUS_CONF, ~/.config/incus)')
      .option('--json', 'print JSON')
      .exitOverride();
  const withDebug = (flags: object) => ({ ...flags, ...program.opts<object>() });
  which(
    remote
      .command('add')
      .description('trust a server with a token, or add one that trusts us, by URL')
      .argument('<name>', 'name of the new remote')
      .argument('<token-or-url>', 'token from `config trust add`, or https://host[:port]')
      .option('--accept-certificate <fingerprint>', "pin the server's certificate (URL)")
      .option('--project <name>', 'project to use on the remote')
      .option('--force', 'replace a remote of the same name'),
  ).action(async (name: string, target: string, flags: object) => {
    const { remoteAddCommand } = await import('./commands/remote-add.js');
    setCode(await remoteAddCommand(name, target, withDebug(flags)));
  });
  which(
    remote.command('list').description('the remotes of the lxc and incus configs'),
  ).action(async (flags: object) => {
    const { remoteListCommand } = await import('./commands/remote.js');
    setCode(await remoteListCommand(withDebug(flags)));
  });
  which(
    remote.command('switch').description('make a remote the default').argument('<name>'),
  ).action(async (name: string, flags: object) => {
    const { remoteSwitchCommand } = await import('./commands/remote.js');
    setCode(await remoteSwitchCommand(name, withDebug(flags)));
  });
  which(
    remote.command('remove').description('remove a remote').argument('<name>'),
  ).action(async (name: string, flags: object) => {
    const { remoteRemoveCommand } = await import('./commands/remote.js');
    setCode(await remoteRemoveCommand(name, withDebug(flags)));
  });
  which(remote.command('get-default').description('print the default remote')).action(
    async (flags: object) => {
      const { remoteGetDefaultCommand } = await import('./commands/remote.js');
      setCode(await remoteGetDefaultCommand(withDebug(flags)));
    },
  );

  try {
    await program.parseAsync([...own], { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
    }
    const debug = own.includes('--debug');
    process.stderr.write(`lxd-api: ${describeError(error)}\n`);
    if (debug && error instanceof Error && error.stack !== undefined) {
      process.stderr.write(`${error.stack}\n`);
    }
    return isUsage(error) ? exitCodes.usage : exitCodes.failed;
  }
}

function withTargets(command: Command): Command {
  return command
    .option('--project <name>', "project to look in, over each remote's own")
    .option(
      '--status <status>',
      'instance status to select (repeatable; all for any)',
      collect,
    )
    .addOption(
      new Option('--type <type>', 'instance type').choices([
        'container',
        'virtual-machine',
      ]),
    )
    .option(
      '--profile <name>',
      'select instances that have this profile (repeatable)',
      collect,
    )
    .option(
      '--config <KEY=VALUE>',
      'select instances with this config value (repeatable)',
      collect,
    )
    .option('-p, --parallel <n>', 'instances worked on at once (default 16)')
    .option('--fail-fast', 'start no new instance after the first failure')
    .option('--dry-run', 'print the instances that would be touched, and exit')
    .option('--json', 'one JSON object per instance on stdout (NDJSON)')
    .option('--retry-failed', 'work on the instances that failed in the last run')
    .exitOverride();
}

function isUsage(error: unknown): boolean {
  return (
    error instanceof UsageError ||
    error instanceof ConfigError ||
    error instanceof HostSpecError ||
    error instanceof CommandInputError ||
    (error instanceof LxdApiError && error.code === 'LXDAPI_USAGE')
  );
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`lxd-api: unexpected failure: ${String(error)}\n`);
    process.exitCode = exitCodes.failed;
  },
);
