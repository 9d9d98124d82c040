import { LxdApiError } from '../errors.js';

/** A command as the caller gives it: a shell string, or an argv run without a shell. */
export type Command = string | readonly string[];

/** How the command is to be wrapped before it reaches the exec API. */
export interface CommandShape {
  /** The shell that runs a string command (`sh` by default). */
  readonly shell?: string;
  /** Run through `sudo -n`, as `sudoUser` when given. */
  readonly sudo?: boolean;
  readonly sudoUser?: string;
  /** Run through `su -s /bin/sh <user> -c …`. */
  readonly su?: string;
}

/** Bad input to `run`, caught before anything is sent. */
export class CommandInputError extends LxdApiError {
  constructor(message: string) {
    super('LXDAPI_COMMAND_INPUT', message);
  }
}

/** Turns a command and its shape into the argv that the exec API runs. */
export function buildArgv(command: Command, shape: CommandShape = {}): string[] {
  let argv = typeof command === 'string' ? shellArgv(command, shape.shell) : [...command];
  checkArgv(command, argv);

  if (shape.su !== undefined) {
    if (shape.su === '' || shape.su.includes('\0')) {
      throw new CommandInputError(
        `su user ${JSON.stringify(shape.su)} is not a user name.`,
      );
    }
    argv = ['su', '-s', '/bin/sh', shape.su, '-c', quoteArgv(argv)];
  }
  if (shape.sudo === true || shape.sudoUser !== undefined) {
    // -n: a password prompt would hang with no terminal; fail at once instead.
    const as = shape.sudoUser === undefined ? [] : ['-u', shape.sudoUser];
    argv = ['sudo', '-n', ...as, '--', ...argv];
  }
  return argv;
}

/** A command as a person would read it, for messages and results. */
export function describeCommand(command: Command): string {
  return typeof command === 'string' ? command : quoteArgv(command);
}

/** Quotes an argv for a POSIX shell: every word survives as written. */
export function quoteArgv(argv: readonly string[]): string {
  return argv.map(quoteWord).join(' ');
}

function quoteWord(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

function shellArgv(command: string, shell = 'sh'): string[] {
  return [shell, '-c', command];
}

function checkArgv(command: Command, argv: readonly string[]): void {
  const blank = typeof command === 'string' ? command.trim() === '' : argv[0] === '';
  if (argv.length === 0 || blank) {
    throw new CommandInputError(
      'The command is empty; give a shell string such as `uptime`, or an argv such ' +
        "as ['ls', '-l'].",
    );
  }
  const bad = argv.findIndex((word) => word.includes('\0'));
  if (bad !== -1) {
    throw new CommandInputError(
      `Word ${bad} of command ${JSON.stringify(describeCommand(command))} holds a NUL ` +
        'byte, which no program can receive in its arguments; pass such data as input.',
    );
  }
}
