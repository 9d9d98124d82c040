// The enrol layer: adding remotes over the network, with trust tokens or pinned
// certificates, written into the lxc and incus client configuration.
export {
  addRemote,
  addRemoteWithToken,
  type AddedRemote,
  type AddRemoteOptions,
  type AddUrlOptions,
} from './add-remote.js';
export { decodeTrustToken, looksLikeToken, type TrustToken } from './trust-token.js';
export {
  ExpiredTokenError,
  FingerprintMismatchError,
  InvalidTokenError,
  ProjectChoiceError,
  RejectedTokenError,
  UnknownCertificateError,
  UnreachableError,
  type FailedAttempt,
} from './errors.js';
