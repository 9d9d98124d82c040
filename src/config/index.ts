// The config layer: where the lxc and incus clients keep their configuration,
// what it says, and which remote, instance and project a host spec means.
export type { Family } from './family.js';
export type { ConfigOptions } from './options.js';
export { parseHostSpec, type HostSpec } from './host-spec.js';
export { displayPath, findConfigPaths, type ConfigPaths } from './config-dir.js';
export { defaultSocketPath } from './unix-socket.js';
export {
  loadClientConfig,
  type ClientConfig,
  type RemoteEntry,
} from './client-config.js';
export {
  defaultHttpsPort,
  parseRemoteAddress,
  type AddressField,
  type HttpsAddress,
  type RemoteAddress,
  type UnixAddress,
} from './remote-address.js';
export {
  loadTlsCredentials,
  type CertificateFile,
  type PemFile,
  type PinnedCertificate,
  type TlsCredentials,
} from './credentials.js';
export {
  resolveHost,
  resolveRemote,
  type ResolvedHost,
  type ResolvedRemote,
} from './resolve.js';
export {
  getDefaultRemote,
  listRemotes,
  type DefaultRemote,
  type RemoteInfo,
  type RemoteOptions,
} from './remote-list.js';
export {
  removeRemote,
  switchRemote,
  type RemovedRemote,
  type SwitchedRemote,
} from './remote-edit.js';
export {
  generateClientCertificate,
  type ClientCertificate,
} from './client-certificate.js';
