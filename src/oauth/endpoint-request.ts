/**
 * Builds an authenticated POST to an OAuth endpoint (token, refresh, revocation) in one of the three body formats.
 *
 * Precedence, so that no parameter and no credential is ever sent twice:
 * - the protocol's own parameters (grant_type, scope, refresh_token, token…) and the client authentication's win
 *   over the definition's extra parameters of the same name; credential parameters (client_secret,
 *   client_assertion, client_assertion_type) are only ever taken from client authentication;
 * - a parameter the endpoint URL's own query already carries is not sent again (Greenhouse puts grant_type there);
 * - definition headers may add headers and replace `Accept`, but not the `Authorization` set by client
 *   authentication nor the `Content-Type` that matches the body.
 */
import { invalidInput } from '../errors.js';
import { assertHeaderSafe } from '../http/headers.js';
import type { OutboundRequest } from '../http/send.js';
import { applyClientAuthentication } from './client-auth.js';
import type { ClientAuthSpec, TokenEndpointSpec } from './types.js';

export interface EndpointRequestSpec extends ClientAuthSpec {
  url: string;
  format: TokenEndpointSpec['format'];
  /** The protocol's own parameters. */
  params: Array<[string, string]>;
  /** The definition's extra parameters; repeated names allowed. */
  extraParams?: Array<[string, string]>;
  headers?: Record<string, string>;
  timeoutMs?: number;
  now?: Date;
}

const CREDENTIAL_PARAMS = new Set(['client_secret', 'client_assertion', 'client_assertion_type']);
const SECRET_PARAMS = new Set(['client_secret', 'client_assertion']);

export async function buildEndpointRequest(spec: EndpointRequestSpec): Promise<OutboundRequest> {
  const [base, query = ''] = splitUrl(spec.url);
  const auth = await applyClientAuthentication(spec, base, spec.now);
  const taken = new Set(new URLSearchParams(query).keys());
  const params = [...accept(spec.params, taken), ...accept(auth.params, taken)];
  const extra = accept(spec.extraParams ?? [], taken).filter(([name]) => !CREDENTIAL_PARAMS.has(name));
  params.push(...extra);

  const headers: Record<string, string> = { accept: 'application/json' };
  for (const [name, value] of Object.entries(spec.headers ?? {})) {
    assertHeaderSafe(name, value, `token.headers.${name}`);
    const lower = name.toLowerCase();
    if (lower !== 'content-type' && !(lower === 'authorization' && auth.headers.authorization)) headers[lower] = value;
  }
  Object.assign(headers, auth.headers);

  const request: OutboundRequest = { method: 'POST', url: spec.url, headers, timeoutMs: spec.timeoutMs };
  if (auth.tls) request.tls = auth.tls;
  switch (spec.format) {
    case 'form':
      headers['content-type'] = 'application/x-www-form-urlencoded';
      request.body = new URLSearchParams(params).toString();
      break;
    case 'json':
      headers['content-type'] = 'application/json';
      request.body = JSON.stringify(toJsonObject(params));
      break;
    case 'query': {
      if (auth.params.some(([name]) => SECRET_PARAMS.has(name))) {
        throw invalidInput(
          'credentials_in_url',
          `token.format: 'query' would put the client credentials of '${spec.clientAuth}' in the URL; use clientAuth 'basic' or format 'form'`,
        );
      }
      const added = new URLSearchParams(params).toString();
      if (added) request.url = `${base}?${query ? `${query}&` : ''}${added}`;
      break;
    }
  }
  return request;
}

/** The URL without fragment, split into the part before the query and the query (kept byte for byte). */
function splitUrl(url: string): [string, string | undefined] {
  const withoutFragment = url.split('#', 1)[0]!;
  const at = withoutFragment.indexOf('?');
  return at < 0 ? [withoutFragment, undefined] : [withoutFragment.slice(0, at), withoutFragment.slice(at + 1)];
}

/** Keeps non-empty parameters whose name an earlier group has not set; repeats within the group stay. */
function accept(group: Array<[string, string]>, taken: Set<string>): Array<[string, string]> {
  const kept = group.filter(([name, value]) => value !== '' && !taken.has(name));
  for (const [name] of kept) taken.add(name);
  return kept;
}

/** Repeated names become arrays (RFC 8707 `resource`). */
function toJsonObject(params: Array<[string, string]>): Record<string, string | string[]> {
  const object: Record<string, string | string[]> = {};
  for (const [name, value] of params) {
    const existing = object[name];
    if (existing === undefined) object[name] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else object[name] = [existing, value];
  }
  return object;
}
