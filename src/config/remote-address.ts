import { isIP } from 'node:net';

import { ConfigError } from '../errors.js';
import { familyFacts, type Family } from './family.js';
import type { ConfigOptions } from './options.js';
import { defaultSocketPath } from './unix-socket.js';

/** Where a remote listens: an HTTPS endpoint or a unix socket. */
export type RemoteAddress = HttpsAddress | UnixAddress;

/** An HTTPS endpoint; `host` has no brackets, `origin` has them for IPv6. */
export interface HttpsAddress {
  readonly kind: 'https';
  readonly host: string;
  readonly port: number;
  /** `https://host:port`, lowercased, without the port when it is 443. */
  readonly origin: string;
}

/** A unix socket on this machine. */
export interface UnixAddress {
  readonly kind: 'unix';
  readonly socketPath: string;
}

/** The field an address was read from, for messages. */
export interface AddressField {
  readonly file: string;
  /** Dotted path of the field, `remotes.prod.addr`. */
  readonly field: string;
  /** How messages write the file. */
  readonly display: string;
}

/** Parses a remote's `addr`: `https://host[:port]`, `unix://` or `unix:///path`. */
export function parseRemoteAddress(
  addr: string,
  family: Family,
  source: AddressField,
  options: ConfigOptions = {},
): RemoteAddress {
  if (/^unix:/iu.test(addr)) return parseUnix(addr, family, source, options);
  if (/^https:\/\//iu.test(addr)) return parseHttps(addr, family, source);

  const scheme = /^([a-z][a-z0-9+.-]*):\/\//iu.exec(addr)?.[1]?.toLowerCase();
  if (scheme === 'http') {
    const fix = `https://${addr.slice('http://'.length)}`;
    throw invalid(
      addr,
      family,
      source,
      `${familyFacts[family].product} serves HTTPS only`,
      fix,
    );
  }
  const why =
    scheme === undefined ? 'it is not an address' : `\`${scheme}\` is not served`;
  throw invalid(addr, family, source, why);
}

/** The HTTPS port both servers listen on unless told otherwise. */
export const defaultHttpsPort = 8443;

// `lxc remote add` writes `https://host:port`; a host alone gets the default port.
// Note: `lxc` keeps a path after the port as a prefix of every request (for a
// reverse proxy); that is refused here rather than half supported.
const httpsPattern = /^https:\/\/(\[[^\]]*\]|[^/:?#@[\]]*)(?::([^/?#@]*))?(.*)$/iu;
const hostnamePattern =
  /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/iu;

function parseHttps(addr: string, family: Family, source: AddressField): HttpsAddress {
  const [, rawHost = '', rawPort, tail = ''] = httpsPattern.exec(addr) ?? [];
  const bracketed = rawHost.startsWith('[');
  const host = bracketed ? rawHost.slice(1, -1) : rawHost;

  if (bracketed ? isIP(host) !== 6 : !hostnamePattern.test(host)) {
    const what =
      host === '' ? 'it has no host' : `\`${rawHost}\` is not a host name or IP`;
    throw invalid(addr, family, source, what);
  }
  const port = rawPort === undefined ? defaultHttpsPort : Number(rawPort);
  if (!/^[0-9]{1,5}$/u.test(rawPort ?? '0') || port < 1 || port > 65535) {
    throw invalid(addr, family, source, `\`${rawPort ?? ''}\` is not a port (1-65535)`);
  }
  if (tail !== '' && tail !== '/') {
    const fix = `https://${rawHost}:${port}`;
    throw invalid(
      addr,
      family,
      source,
      `it has \`${tail}\` after the host and port`,
      fix,
    );
  }

  const origin = new URL(`https://${rawHost}:${port}`).origin;
  return { kind: 'https', host: host.toLowerCase(), port, origin };
}

// `lxc` strips `unix:` and then `//`: what is left is the socket, or nothing for
// the default one. A relative path would depend on the working folder.
function parseUnix(
  addr: string,
  family: Family,
  source: AddressField,
  options: ConfigOptions,
): UnixAddress {
  const rest = addr.slice('unix:'.length);
  const path = rest.startsWith('//') ? rest.slice(2) : rest;
  if (path === '')
    return { kind: 'unix', socketPath: defaultSocketPath(family, options) };
  if (path.startsWith('/')) return { kind: 'unix', socketPath: path };

  const why = `the socket path \`${path}\` is relative`;
  throw invalid(addr, family, source, why, `unix:///absolute/path/to/${path}`);
}

function invalid(
  addr: string,
  family: Family,
  source: AddressField,
  why: string,
  fix?: string,
): ConfigError {
  const client = familyFacts[family].client;
  const advice =
    fix === undefined
      ? 'write `https://<host>[:<port>]`, `unix://` or `unix:///<socket path>`'
      : `write \`${fix}\``;
  return new ConfigError(
    `${source.field} in ${source.display} is \`${addr}\`, which is not a remote ` +
      `address: ${why}; ${advice}, or add the remote again with ` +
      `\`${client} remote add\`.`,
    { file: source.file, field: source.field },
  );
}
