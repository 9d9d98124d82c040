// The host layer: a connected instance, and what runs on it.
export { connect, type ConnectOptions } from './connect.js';
export { Host } from './host.js';
export { RemoteRegistry, sharedRemotes } from './remote-registry.js';
export { run, runMarker, type RunOptions, type RunResult } from './run.js';
export { stream, type OutputChunk, type RunningCommand } from './stream.js';
export { buildArgv, CommandInputError, quoteArgv, type Command } from './command.js';
export { CommandFailedError, InstanceStateError } from './errors.js';
export { OutputLimitError, type OutputTarget } from './output.js';
export { UnknownUserError, type InstanceUser } from './users.js';
