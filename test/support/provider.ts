/**
 * A local OAuth 2.0 provider and API for tests, the demo and benchmarks: a REAL HTTP(S) server on 127.0.0.1 with a
 * random port. It is strict where the RFCs are (client authentication per mode, credentials in one place only,
 * assertion signature/aud/exp/jti, mTLS certificate) and can misbehave on demand like real providers (quirks).
 *
 * `reset()` clears quirks, counters and seen assertion ids; registered clients and issued tokens stay.
 */
import { createPublicKey, randomBytes, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { decodeJwt, jwtVerify } from 'jose';

export interface Account {
  account_id: string;
  name: string;
  email: string;
}

export interface ClientRegistration {
  clientId: string;
  clientSecret?: string;
  /** private_key_jwt: SPKI PEM public key. */
  publicKeyPem?: string;
  /** tls_client_auth: the PEM certificate the client must present. */
  certificatePem?: string;
  /** Token lifetime; null: tokens never expire. @default 3600 */
  lifetimeSeconds?: number | null;
  /** What `GET /me` answers. @default derived from the client id */
  account?: Account;
  /** @default false */
  issueRefreshToken?: boolean;
  /** Scopes the client may ask for; any scope is granted when absent. */
  scopes?: string[];
}

export interface Quirks {
  /** `Authorization: Basic` decoding: RFC 6749 form-decoded, raw, or either. @default 'either' */
  basicEncoding: 'rfc' | 'raw' | 'either';
  /** Client credentials are accepted only in `Authorization: Basic`, decoded raw (no form-decoding), nowhere else. */
  onlyBasicRaw: boolean;
  formEncodedResponse: boolean;
  expiresInAsString: boolean;
  expiresInMilliseconds: boolean;
  /** `expires_at` instead of `expires_in`: an ISO date (true/'iso') or epoch seconds ('epoch'). */
  absoluteExpiry: boolean | 'iso' | 'epoch';
  noExpiresIn: boolean;
  /** Dot path where the access token goes instead of `access_token`, such as `data.token`. */
  tokenPath: string;
  /** 200 with an `error` field (true: invalid_client). */
  okWithErrorBody: boolean | string;
  /** 429 with this Retry-After (seconds or HTTP date). */
  status429RetryAfter: number | string;
  status503: boolean;
  status5xx: 500 | 502 | 504;
  /** Token answers take this long. */
  delayMs: number;
  /** An HTML error page with this status (true: 502). */
  htmlErrorPage: boolean | number;
  /** A truncated JSON body with this status (true: 200). */
  malformedJson: boolean | number;
  /** The token endpoint closes the connection without answering. */
  resetConnection: boolean;
  /** The same access token until it expires (Twitter/X, WSO2). */
  oneTokenPerClient: boolean;
  /** The next n token requests answer 503, then normal service. */
  failNextTokenRequests: number;
  revokeUnsupportedTokenType: boolean;
  /** Revocation answers 503 with Retry-After: 2. */
  revoke503: boolean;
  /** The token endpoint answers this RFC 6749 error (401 for invalid_client, else 400). */
  tokenError: string;
  /** `/me` and `/api/*` answer this status. */
  apiStatus: number;
  /** `/api/*` needs no token. */
  apiOpen: boolean;
  /**
   * A huge answer from these endpoints: a 400 JSON error whose `error_description` is `bytes` long, or a 502 HTML
   * page of that size full of unterminated tags (the worst case for naive tag matching). It starts with `echo`, the
   * request's body and its Authorization header, as a careless or hostile server might.
   */
  hostileAnswer: {
    endpoints: Array<'token' | 'revoke' | 'test'>;
    form: 'description' | 'html';
    bytes: number;
    echo?: string[];
  };
  /** `/api/*` answers compressed with this content coding even when not asked (gzip, deflate, br, or any name). */
  compressAnswers: string;
  /** `/api/*` JSON answers spell every letter and digit of their strings as a `\u` escape: valid JSON, same values. */
  escapeAnswers: boolean;
  /**
   * `/api/*` answers with the request line as received, percent-encoding and all, as text and in an `x-request-url`
   * header: what a server that quotes the request in an error or a log line sends back.
   */
  echoRawUrl: boolean;
  /** Access tokens use every character RFC 6750's b64token allows (`+`, `/`, `~`, `=` padding), which a URL encodes. */
  b64Tokens: boolean;
  /** `/me` names the account after the bearer token it was sent (`name: "key <token>"`), as a careless API might. */
  meEchoesToken: boolean;
  /** Token answers carry the client's secret in a field no name marks as secret (`instance_name`). */
  tokenEchoesSecret: boolean;
}

export interface ProviderStats {
  /** Every request that reached /oauth/token, answered or not. */
  tokenRequests: number;
  /** By the client id the request claimed. */
  tokenRequestsByClient: Map<string, number>;
  refreshRequests: number;
  revocations: Array<{ token: string; hint?: string }>;
  testRequests: number;
  apiRequests: number;
}

export interface TestProvider {
  /** Such as http://127.0.0.1:54321 */
  url: string;
  registerClient(client: ClientRegistration): void;
  quirk(quirks: Partial<Quirks>): void;
  reset(): void;
  stats: ProviderStats;
  /** Every access and refresh token issued (for secret scans). */
  issuedTokens(): string[];
  /** Invalidates the client's tokens, so that the API answers 401. */
  revokeAllTokensOf(clientId: string): void;
  close(): Promise<void>;
}

interface IssuedToken {
  clientId: string;
  kind: 'access' | 'refresh';
  expiresAt: number | null;
  scopes: string[];
}

type Params = Array<[string, string]>;

class OAuthFailure extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(description);
  }
}

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const TLS_DIR = new URL('./tls/', import.meta.url);
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

export function tlsFixture(
  name: 'ca.crt' | 'server.crt' | 'server.key' | `${'client' | 'other-client'}.${'crt' | 'key'}`,
) {
  return readFileSync(new URL(name, TLS_DIR), 'utf8');
}

/** `host`: the loopback address to listen on (127.0.0.0/8 is all this machine's). @default 127.0.0.1 */
export async function startProvider(options: { https?: boolean; host?: string } = {}): Promise<TestProvider> {
  const provider = new Provider();
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    provider.handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) json(res, 500, { error: 'server_error', error_description: String(error) });
      else res.destroy();
    });
  };
  const server: Server = options.https
    ? createHttpsServer(
        {
          key: tlsFixture('server.key'),
          cert: tlsFixture('server.crt'),
          ca: tlsFixture('ca.crt'),
          requestCert: true,
          // Clients without a certificate are welcome; tls_client_auth checks the certificate itself.
          rejectUnauthorized: false,
        },
        handler,
      )
    : createHttpServer(handler);
  // Longer than the clients' keep-alive, so benchmarks measure requests rather than reconnects.
  server.keepAliveTimeout = 65_000;
  const host = options.host ?? '127.0.0.1';
  server.listen(0, host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  provider.url = `${options.https ? 'https' : 'http'}://${host}:${port}`;
  provider.server = server;
  return provider;
}

class Provider implements TestProvider {
  url = '';
  server?: Server;
  stats: ProviderStats = {
    tokenRequests: 0,
    tokenRequestsByClient: new Map(),
    refreshRequests: 0,
    revocations: [],
    testRequests: 0,
    apiRequests: 0,
  };
  private quirks: Partial<Quirks> = {};
  private readonly clients = new Map<string, ClientRegistration>();
  private readonly tokens = new Map<string, IssuedToken>();
  private readonly issued: string[] = [];
  private readonly seenJti = new Set<string>();

  registerClient(client: ClientRegistration): void {
    this.clients.set(client.clientId, client);
  }

  quirk(quirks: Partial<Quirks>): void {
    Object.assign(this.quirks, quirks);
  }

  reset(): void {
    this.quirks = {};
    this.seenJti.clear();
    Object.assign(this.stats, { tokenRequests: 0, refreshRequests: 0, testRequests: 0, apiRequests: 0 });
    this.stats.tokenRequestsByClient.clear();
    this.stats.revocations.length = 0;
  }

  issuedTokens(): string[] {
    return [...this.issued];
  }

  revokeAllTokensOf(clientId: string): void {
    for (const [token, issued] of this.tokens) if (issued.clientId === clientId) this.tokens.delete(token);
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readAll(req);
    const url = new URL(req.url ?? '/', this.url);
    try {
      if (url.pathname === '/oauth/token' && req.method === 'POST') return await this.token(req, res, url, body);
      if (url.pathname === '/oauth/revoke' && req.method === 'POST') return await this.revoke(req, res, url, body);
      if (url.pathname === '/me' && req.method === 'GET') return this.me(req, res);
      if (url.pathname.startsWith('/api/')) return await this.api(req, res, url, body);
      json(res, 404, { error: 'not_found' });
    } catch (error) {
      if (!(error instanceof OAuthFailure)) throw error;
      json(res, error.status, { error: error.error, error_description: error.description }, error.headers);
    }
  }

  /** The `hostileAnswer` quirk; true when it answered. */
  private hostileAnswer(
    endpoint: 'token' | 'revoke' | 'test',
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
  ): boolean {
    const hostile = this.quirks.hostileAnswer;
    if (!hostile?.endpoints.includes(endpoint)) return false;
    const echoed = [...(hostile.echo ?? []), body.toString('utf8'), req.headers.authorization ?? ''].join(' ');
    if (hostile.form === 'description') {
      const description = `${echoed} ${'x'.repeat(Math.max(0, hostile.bytes - echoed.length))}`;
      json(res, 400, { error: 'invalid_request', error_description: description });
    } else {
      const head = `<!DOCTYPE html><html><head><title>Error</title></head><body><h1>Bad Gateway</h1><p>${echoed}</p>`;
      const filler = '<div class="a" <a href=x '.repeat(Math.ceil(Math.max(0, hostile.bytes - head.length) / 25));
      res.writeHead(502, { 'content-type': 'text/html' }).end(head + filler);
    }
    return true;
  }

  // ---- token endpoint -------------------------------------------------------------------------------------------

  private async token(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer): Promise<void> {
    this.stats.tokenRequests++;
    const params = readParams(req, url, body);
    const claimed = claimedClientId(req, params);
    if (claimed)
      this.stats.tokenRequestsByClient.set(claimed, (this.stats.tokenRequestsByClient.get(claimed) ?? 0) + 1);
    if (this.hostileAnswer('token', req, res, body)) return;
    if (await this.tokenQuirks(req, res)) return;

    const clientId = await this.authenticate(req, url, params);
    const grant = single(params, 'grant_type');
    let refreshToRotate: string | undefined;
    if (grant === 'refresh_token') {
      this.stats.refreshRequests++;
      refreshToRotate = single(params, 'refresh_token');
      const stored = refreshToRotate ? this.tokens.get(refreshToRotate) : undefined;
      if (stored?.kind !== 'refresh' || stored.clientId !== clientId || isExpired(stored)) {
        throw new OAuthFailure(400, 'invalid_grant', 'refresh token unknown, expired or issued to another client');
      }
    } else if (grant === 'account_credentials') {
      const accountId = single(params, 'account_id');
      const account = this.clients.get(clientId)?.account;
      if (!accountId) throw new OAuthFailure(400, 'invalid_request', 'account_id is required');
      if (account && account.account_id !== accountId) throw new OAuthFailure(400, 'invalid_grant', 'unknown account');
    } else if (grant === undefined) {
      throw new OAuthFailure(400, 'invalid_request', 'grant_type is required');
    } else if (grant !== 'client_credentials') {
      throw new OAuthFailure(400, 'unsupported_grant_type', `grant_type ${grant} is not supported`);
    }
    const scopes = this.grantedScopes(clientId, single(params, 'scope'));
    if (refreshToRotate) this.tokens.delete(refreshToRotate);
    this.answerToken(res, clientId, scopes, grant === 'refresh_token');
  }

  /** Global misbehaviour switches; true when the answer is already given. */
  private async tokenQuirks(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const q = this.quirks;
    if (q.resetConnection) {
      req.socket.destroy();
      return true;
    }
    if (q.delayMs) await sleep(q.delayMs);
    if (q.failNextTokenRequests) {
      q.failNextTokenRequests--;
      json(res, 503, { error: 'temporarily_unavailable', error_description: 'try again later' });
    } else if (q.status429RetryAfter !== undefined) {
      json(res, 429, { error: 'rate_limited' }, { 'retry-after': String(q.status429RetryAfter) });
    } else if (q.status503) {
      json(res, 503, { error: 'temporarily_unavailable' });
    } else if (q.status5xx) {
      json(res, q.status5xx, { error: 'server_error' });
    } else if (q.htmlErrorPage) {
      const status = q.htmlErrorPage === true ? 502 : q.htmlErrorPage;
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
      res.end(
        `<!DOCTYPE html><html><head><title>Error</title><style>body{color:red}</style></head><body><h1>${status} Bad Gateway</h1><p>The upstream server is unavailable.</p></body></html>`,
      );
    } else if (q.malformedJson) {
      res.writeHead(q.malformedJson === true ? 200 : q.malformedJson, { 'content-type': 'application/json' });
      res.end('{"error": "invalid_request", "error_description": "broken');
    } else if (q.tokenError) {
      const status = q.tokenError === 'invalid_client' ? 401 : 400;
      json(res, status, { error: q.tokenError, error_description: `the provider says ${q.tokenError}` });
    } else if (q.okWithErrorBody) {
      const error = q.okWithErrorBody === true ? 'invalid_client' : q.okWithErrorBody;
      json(res, 200, { error, error_description: 'Client authentication failed' });
    } else {
      return false;
    }
    return true;
  }

  private grantedScopes(clientId: string, requested: string | undefined): string[] {
    const allowed = this.clients.get(clientId)?.scopes;
    const asked = requested?.split(' ').filter(Boolean) ?? [];
    const refused = asked.filter((scope) => allowed && !allowed.includes(scope));
    if (refused.length > 0) throw new OAuthFailure(400, 'invalid_scope', `scope not allowed: ${refused.join(' ')}`);
    return asked.length > 0 ? asked : (allowed ?? []);
  }

  private answerToken(res: ServerResponse, clientId: string, scopes: string[], refreshing: boolean): void {
    const client = this.clients.get(clientId)!;
    const lifetime = client.lifetimeSeconds === undefined ? 3600 : client.lifetimeSeconds;
    const now = Date.now();
    let accessToken = this.quirks.oneTokenPerClient ? this.liveAccessTokenOf(clientId) : undefined;
    if (!accessToken) accessToken = this.issue({ clientId, kind: 'access', scopes, expiresAt: expiry(now, lifetime) });
    const expiresAt = this.tokens.get(accessToken)!.expiresAt;
    const answer: Record<string, unknown> = { access_token: accessToken, token_type: 'Bearer' };
    if (expiresAt !== null) this.addExpiry(answer, expiresAt, now);
    if (scopes.length > 0) answer.scope = scopes.join(' ');
    if (client.issueRefreshToken || refreshing) {
      answer.refresh_token = this.issue({ clientId, kind: 'refresh', scopes, expiresAt: null });
    }
    answer.instance_url = this.url;
    if (this.quirks.tokenEchoesSecret) answer.instance_name = `instance of ${client.clientSecret}`;
    if (this.quirks.tokenPath) {
      delete answer.access_token;
      setPath(answer, this.quirks.tokenPath, accessToken);
    }
    if (this.quirks.formEncodedResponse) {
      res.writeHead(200, { 'content-type': 'application/x-www-form-urlencoded', 'cache-control': 'no-store' });
      res.end(new URLSearchParams(answer as Record<string, string>).toString());
    } else {
      json(res, 200, answer, { 'cache-control': 'no-store' });
    }
  }

  private addExpiry(answer: Record<string, unknown>, expiresAt: number, now: number): void {
    const q = this.quirks;
    if (q.noExpiresIn) return;
    if (q.absoluteExpiry) {
      answer.expires_at =
        q.absoluteExpiry === 'epoch' ? Math.floor(expiresAt / 1000) : new Date(expiresAt).toISOString();
      return;
    }
    const seconds = Math.max(0, Math.round((expiresAt - now) / 1000));
    const value = q.expiresInMilliseconds ? seconds * 1000 : seconds;
    answer.expires_in = q.expiresInAsString ? String(value) : value;
  }

  private issue(token: IssuedToken): string {
    const value = this.quirks.b64Tokens
      ? `${randomBytes(12).toString('base64url')}+/~${randomBytes(12).toString('base64url')}==`
      : randomBytes(24).toString('base64url');
    this.tokens.set(value, token);
    this.issued.push(value);
    return value;
  }

  private liveAccessTokenOf(clientId: string): string | undefined {
    for (const [value, token] of this.tokens) {
      if (token.clientId === clientId && token.kind === 'access' && !isExpired(token)) return value;
    }
    return undefined;
  }

  // ---- client authentication ------------------------------------------------------------------------------------

  /** Returns the authenticated client id, or throws invalid_request / invalid_client. */
  private async authenticate(req: IncomingMessage, url: URL, params: Params): Promise<string> {
    const basic = parseBasic(req.headers.authorization);
    const secret = single(params, 'client_secret');
    const assertion = single(params, 'client_assertion');
    const ways = [basic, secret, assertion].filter((way) => way !== undefined).length;
    if (ways > 1) throw new OAuthFailure(400, 'invalid_request', 'client credentials sent in more than one way');
    if (url.searchParams.has('client_secret') || url.searchParams.has('client_assertion')) {
      throw new OAuthFailure(400, 'invalid_request', 'client credentials must not travel in the URL');
    }
    if (this.quirks.onlyBasicRaw && !basic) {
      throw new OAuthFailure(401, 'invalid_client', 'client authentication failed: use HTTP Basic');
    }
    const paramId = single(params, 'client_id');
    let clientId: string;
    if (basic) clientId = this.checkBasic(basic);
    else if (assertion) clientId = await this.checkAssertion(url, params, assertion);
    else if (secret !== undefined) clientId = this.checkSecret(paramId, secret);
    else clientId = this.checkCertificate(req, paramId);
    if (paramId !== undefined && paramId !== clientId) {
      throw new OAuthFailure(400, 'invalid_request', 'client_id does not match the authenticated client');
    }
    return clientId;
  }

  private checkBasic(basic: { id: string; secret: string }): string {
    const mode = this.quirks.onlyBasicRaw ? 'raw' : (this.quirks.basicEncoding ?? 'either');
    const rfc = { id: formDecode(basic.id), secret: formDecode(basic.secret) };
    const candidates = mode === 'raw' ? [basic] : mode === 'rfc' ? [rfc] : [rfc, basic];
    for (const { id, secret } of candidates) {
      const client = id === undefined ? undefined : this.clients.get(id);
      if (client?.clientSecret !== undefined && client.clientSecret === secret) return client.clientId;
    }
    throw new OAuthFailure(401, 'invalid_client', 'client authentication failed', {
      'www-authenticate': 'Basic realm="test-provider"',
    });
  }

  private checkSecret(id: string | undefined, secret: string): string {
    const client = id === undefined ? undefined : this.clients.get(id);
    if (client?.clientSecret === undefined || client.clientSecret !== secret) {
      throw new OAuthFailure(401, 'invalid_client', 'client authentication failed');
    }
    return client.clientId;
  }

  private async checkAssertion(url: URL, params: Params, assertion: string): Promise<string> {
    if (single(params, 'client_assertion_type') !== JWT_BEARER) {
      throw new OAuthFailure(400, 'invalid_request', `client_assertion_type must be ${JWT_BEARER}`);
    }
    const fail = (why: string) => new OAuthFailure(401, 'invalid_client', `client assertion rejected: ${why}`);
    let issuer: string | undefined;
    try {
      issuer = decodeJwt(assertion).iss;
    } catch {
      throw fail('not a JWT');
    }
    const client = issuer === undefined ? undefined : this.clients.get(issuer);
    if (!client?.publicKeyPem) throw fail('unknown issuer or no registered key');
    try {
      const { payload } = await jwtVerify(assertion, createPublicKey(client.publicKeyPem), {
        issuer: client.clientId,
        subject: client.clientId,
        audience: [`${this.url}${url.pathname}`, `${this.url}/oauth/token`, this.url],
        requiredClaims: ['exp', 'jti'],
      });
      if (this.seenJti.has(payload.jti!)) throw fail('jti replayed');
      this.seenJti.add(payload.jti!);
    } catch (error) {
      if (error instanceof OAuthFailure) throw error;
      throw fail(error instanceof Error ? error.message : 'invalid');
    }
    return client.clientId;
  }

  private checkCertificate(req: IncomingMessage, clientId: string | undefined): string {
    const client = clientId === undefined ? undefined : this.clients.get(clientId);
    const socket = req.socket as Partial<TLSSocket>;
    const presented = socket.getPeerCertificate?.();
    if (!client?.certificatePem || !presented?.raw || !socket.authorized) {
      throw new OAuthFailure(401, 'invalid_client', 'no client authentication, or no trusted client certificate');
    }
    if (!new X509Certificate(client.certificatePem).raw.equals(presented.raw)) {
      throw new OAuthFailure(401, 'invalid_client', 'client certificate does not match the registered one');
    }
    return client.clientId;
  }

  // ---- revocation, /me, /api --------------------------------------------------------------------------------------

  private async revoke(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer): Promise<void> {
    if (this.hostileAnswer('revoke', req, res, body)) return;
    const params = readParams(req, url, body);
    const clientId = await this.authenticate(req, url, params);
    if (this.quirks.revoke503) return json(res, 503, { error: 'temporarily_unavailable' }, { 'retry-after': '2' });
    if (this.quirks.revokeUnsupportedTokenType) return json(res, 400, { error: 'unsupported_token_type' });
    const token = single(params, 'token');
    if (!token) throw new OAuthFailure(400, 'invalid_request', 'token is required');
    const hint = single(params, 'token_type_hint');
    this.stats.revocations.push(hint === undefined ? { token } : { token, hint });
    if (this.tokens.get(token)?.clientId === clientId) this.tokens.delete(token);
    res.writeHead(200).end();
  }

  /** The client whose valid access token the request carries (Bearer, any header, or any query value). */
  private bearerClient(req: IncomingMessage, url?: URL): string | undefined {
    const candidates = [
      /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1],
      ...Object.values(req.headers).flat(),
      ...(url ? [...url.searchParams.values()] : []),
    ];
    for (const candidate of candidates) {
      const token = candidate === undefined ? undefined : this.tokens.get(candidate);
      if (token?.kind === 'access' && !isExpired(token)) return token.clientId;
    }
    return undefined;
  }

  private me(req: IncomingMessage, res: ServerResponse): void {
    this.stats.testRequests++;
    if (this.hostileAnswer('test', req, res, Buffer.alloc(0))) return;
    const clientId = this.bearerClient(req);
    if (this.quirks.apiStatus) json(res, this.quirks.apiStatus, { error: 'api_status_quirk' });
    else if (!clientId) unauthorized(res);
    else if (this.quirks.meEchoesToken) {
      const token = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
      json(res, 200, { ...this.accountOf(clientId), name: `key ${token}` });
    } else json(res, 200, this.accountOf(clientId));
  }

  private accountOf(clientId: string): Account {
    return (
      this.clients.get(clientId)?.account ?? {
        account_id: clientId,
        name: clientId,
        email: `${clientId}@example.test`,
      }
    );
  }

  private async api(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer): Promise<void> {
    this.stats.apiRequests++;
    if (this.quirks.apiStatus) return json(res, this.quirks.apiStatus, { error: 'api_status_quirk' });
    if (!this.quirks.apiOpen && !this.bearerClient(req, url)) return unauthorized(res);
    const path = url.pathname;
    const status = /^\/api\/status\/(\d{3})$/.exec(path)?.[1];
    if (status) {
      const retryAfter = url.searchParams.get('retryAfter');
      const code = Number(status);
      res.writeHead(code, {
        'content-type': 'application/json',
        ...(retryAfter !== null && { 'retry-after': retryAfter }),
      });
      res.end(code === 204 || code === 304 ? undefined : JSON.stringify({ status: code }));
      return;
    }
    if (path === '/api/binary') return void res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
    if (path === '/api/text') {
      return void res
        .writeHead(200, { 'content-type': 'text/plain; charset=utf-8' })
        .end('hello from the test provider');
    }
    if (path === '/api/redirect') {
      const location = url.searchParams.get('to') ?? '/api/text';
      return void res.writeHead(Number(url.searchParams.get('status') ?? 302), { location }).end();
    }
    if (path === '/api/large')
      return large(
        res,
        Number(url.searchParams.get('bytes') ?? 0),
        url.searchParams.has('chunked'),
        url.searchParams.has('control'),
      );
    if (path === '/api/slow')
      return slow(res, Number(url.searchParams.get('ms') ?? 1000), url.searchParams.get('phase'));
    if (path === '/api/drip') return drip(res, Number(url.searchParams.get('every') ?? 500));
    if (this.quirks.echoRawUrl) {
      const line = `${req.method} ${req.url}`;
      return void res.writeHead(200, { 'content-type': 'text/plain', 'x-request-url': req.url ?? '' }).end(line);
    }
    const text = body.toString('utf8');
    const query: Record<string, string | string[]> = {};
    for (const key of new Set(url.searchParams.keys())) {
      const values = url.searchParams.getAll(key);
      query[key] = values.length === 1 ? values[0]! : values;
    }
    const echo = {
      method: req.method,
      path,
      query,
      headers: req.headers,
      body: text,
      remotePort: req.socket.remotePort,
      ...((req.headers['content-type'] ?? '').includes('json') && text && { json: tryJson(text) }),
    };
    if (this.quirks.escapeAnswers) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(escapeJsonStrings(JSON.stringify(echo)));
      return;
    }
    const coding = this.quirks.compressAnswers ?? (/\bgzip\b/.test(req.headers['accept-encoding'] ?? '') && 'gzip');
    if (!coding) return json(res, 200, echo);
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': coding });
    res.end(compress(coding, Buffer.from(JSON.stringify(echo))));
  }
}

// ---- helpers ----------------------------------------------------------------------------------------------------

/** JSON text whose strings spell each letter and digit as `\uXXXX`; escapes already there are kept as they are. */
function escapeJsonStrings(json: string): string {
  return json.replace(/"(?:[^"\\]|\\.)*"/g, (literal) =>
    literal.replace(/\\.|[A-Za-z0-9]/g, (piece) =>
      piece.length === 2 ? piece : `\\u${piece.charCodeAt(0).toString(16).padStart(4, '0')}`,
    ),
  );
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** `body` in the content coding `coding`; an unknown coding gets gzip bytes (only the label matters then). */
function compress(coding: string, body: Buffer): Buffer {
  if (coding === 'br') return brotliCompressSync(body);
  if (coding === 'deflate') return deflateSync(body);
  return gzipSync(body);
}

function json(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(value));
}

function unauthorized(res: ServerResponse): void {
  json(res, 401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
}

/** Query and body parameters together; a parameter may not repeat (except RFC 8707 `resource`). */
function readParams(req: IncomingMessage, url: URL, body: Buffer): Params {
  const params: Params = [...url.searchParams];
  const type = req.headers['content-type'] ?? '';
  const text = body.toString('utf8');
  if (type.startsWith('application/x-www-form-urlencoded')) params.push(...new URLSearchParams(text));
  else if (type.startsWith('application/json')) {
    const object = tryJson(text);
    if (typeof object !== 'object' || object === null)
      throw new OAuthFailure(400, 'invalid_request', 'body is not JSON');
    for (const [name, value] of Object.entries(object)) {
      for (const item of Array.isArray(value) ? value : [value]) params.push([name, String(item)]);
    }
  } else if (text.length > 0) {
    throw new OAuthFailure(400, 'invalid_request', `unsupported content type ${type}`);
  }
  const names = params.map(([name]) => name).filter((name) => name !== 'resource');
  const repeated = names.find((name, i) => names.indexOf(name) !== i);
  if (repeated) throw new OAuthFailure(400, 'invalid_request', `parameter ${repeated} sent more than once`);
  return params;
}

function single(params: Params, name: string): string | undefined {
  return params.find(([key]) => key === name)?.[1];
}

function claimedClientId(req: IncomingMessage, params: Params): string | undefined {
  const basic = parseBasic(req.headers.authorization);
  if (basic) return formDecode(basic.id) ?? basic.id;
  const assertion = single(params, 'client_assertion');
  if (assertion) {
    try {
      return decodeJwt(assertion).iss;
    } catch {
      return undefined;
    }
  }
  return single(params, 'client_id');
}

function parseBasic(header: string | undefined): { id: string; secret: string } | undefined {
  const encoded = /^Basic\s+(\S+)$/i.exec(header ?? '')?.[1];
  if (!encoded) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? { id: decoded, secret: '' } : { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

/** application/x-www-form-urlencoded decoding; undefined when the value is not validly encoded. */
function formDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isExpired(token: IssuedToken): boolean {
  return token.expiresAt !== null && token.expiresAt <= Date.now();
}

function expiry(now: number, lifetimeSeconds: number | null): number | null {
  return lifetimeSeconds === null ? null : now + lifetimeSeconds * 1000;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let current = target;
  for (const key of keys.slice(0, -1)) {
    current[key] ??= {};
    current = current[key] as Record<string, unknown>;
  }
  current[keys.at(-1)!] = value;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `bytes` of `x`, binary; or (`control`) text of control characters, which JSON escapes to six times their size. */
async function large(res: ServerResponse, bytes: number, chunked: boolean, control = false): Promise<void> {
  res.writeHead(200, {
    'content-type': control ? 'text/plain' : 'application/octet-stream',
    ...(!chunked && { 'content-length': String(bytes) }),
  });
  const chunk = Buffer.alloc(64 * 1024, control ? 1 : 'x');
  for (let sent = 0; sent < bytes && !res.destroyed; sent += chunk.length) {
    if (!res.write(chunk.subarray(0, Math.min(chunk.length, bytes - sent)))) {
      await Promise.race([once(res, 'drain'), once(res, 'close')]);
    }
  }
  res.end();
}

/** Waits before the headers, or (`phase=body`) sends the headers and a first chunk, then waits before the rest. */
/** Headers at once, then one byte of body every `everyMs`, until the client goes away: every pause stays short. */
async function drip(res: ServerResponse, everyMs: number): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/plain' });
  while (!res.destroyed) {
    res.write('.');
    await sleep(everyMs);
  }
}

async function slow(res: ServerResponse, ms: number, phase: string | null): Promise<void> {
  if (phase === 'body') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"slow":');
  }
  await sleep(ms);
  if (res.destroyed) return;
  if (phase === 'body') res.end('true}');
  else json(res, 200, { slow: true, ms });
}
