// The host layer: a connected instance, and what runs on it.
export { connect, type ConnectOptions } from './connect.js';
export { Host } from './host.js';
export {
  RemoteRegistry,
  sharedRemotes,
  type RegistryOptions,
} from './remote-registry.js';
export { InstanceRoute, routeChannelName, type RouteEvent } from './instance-route.js';
export { run, runMarker, type RunMode, type RunOptions, type RunResult } from './run.js';
export {
  SessionBrokenError,
  SessionUnavailableError,
  type Ran,
} from './session/errors.js';
export { SessionPool } from './session/pool.js';
export { stream, type OutputChunk, type RunningCommand } from './stream.js';
export { buildArgv, CommandInputError, quoteArgv, type Command } from './command.js';
export {
  CommandFailedError,
  CommandInterruptedError,
  InstanceStateError,
} from './errors.js';
export { OutputLimitError, type OutputTarget } from './output.js';
export { UnknownUserError, type InstanceUser } from './users.js';
export { putFile, type PutFileOptions, type PutFileResult } from './put-file.js';
export {
  getFile,
  type FileDestination,
  type GetFileOptions,
  type GetFileResult,
} from './get-file.js';
export {
  mkdir,
  readDir,
  remove,
  stat,
  symlink,
  type FileStat,
  type MkdirOptions,
  type RemoveOptions,
  type SymlinkOptions,
} from './files.js';
export { putTree } from './put-tree.js';
export { getTree } from './get-tree.js';
export type { TreeOptions, TreeResult, TreeTransfer } from './tree.js';
export type { TreeSummary } from './tree-extract.js';
export type { FileSource } from './file-source.js';
export { UnknownGroupError, type OwnerId } from './owners.js';
export {
  DirectoryNotEmptyError,
  FileError,
  FileExistsError,
  FileOptionError,
  FilePermissionError,
  FileSourceError,
  FileTypeError,
  LocalFileError,
  NoSpaceError,
  RemoteNotFoundError,
  RemotePathError,
  UnsafeTreeEntryError,
  type FileOperation,
} from './file-errors.js';
export type { FileType } from '../api/file-headers.js';
