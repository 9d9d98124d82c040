import type { HttpRequest } from '../transport/transport.js';
import type { LxdApi } from './api-client.js';
import { NotFoundError } from './errors.js';

/** Which field of `POST /1.0/certificates` carries a trust token. */
export type TokenField = 'trust_token' | 'both';

/**
 * `POST /1.0/certificates` with a trust token: the server adds the client
 * certificate this connection presents, under the name and restrictions the
 * token was made with, and the token is used up.
 *
 * The whole token goes in the body, not only its secret: the server decodes it
 * and looks for the pending token whose secret matches. LXD up to 5.21.2 reads it
 * from `password`; LXD 5.21.3 and 6.2+ (which announce `explicit_trust_token`,
 * and refuse `password` from 6.2 on) and Incus read `trust_token`. Before the
 * server says who it is (it does not, to a client it does not trust), `both`
 * sends it in both fields: each server ignores the field it does not know.
 */
export async function addCertificateWithToken(
  api: LxdApi,
  token: string,
  field: TokenField,
): Promise<void> {
  const body =
    field === 'both' ? { password: token, trust_token: token } : { trust_token: token };
  const request: HttpRequest = {
    method: 'POST',
    path: '/1.0/certificates',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  };
  await api.decode<unknown>(request, await api.transport.request(request));
}

/** `GET /1.0/projects`: the names of the projects this client may see. */
export async function projectNames(api: LxdApi): Promise<string[]> {
  const request: HttpRequest = { method: 'GET', path: '/1.0/projects' };
  const urls = await api.decode<string[]>(request, await api.transport.request(request));
  return urls.map((url) =>
    decodeURIComponent(url.split('?')[0]?.split('/').at(-1) ?? ''),
  );
}

/** `GET /1.0/projects/<name>`: whether the project exists and this client may see it. */
export async function projectExists(api: LxdApi, name: string): Promise<boolean> {
  const request: HttpRequest = {
    method: 'GET',
    path: `/1.0/projects/${encodeURIComponent(name)}`,
  };
  try {
    await api.decode<unknown>(request, await api.transport.request(request));
    return true;
  } catch (error) {
    if (error instanceof NotFoundError) return false;
    throw error;
  }
}
