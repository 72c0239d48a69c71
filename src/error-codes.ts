/**
 * Every error code the service reports: the closed vocabulary of failure reasons (`[code] message`), of
 * `lastError.code` and of `connection.error` events. `AppError` accepts nothing else, so a provider cannot make
 * its words pass for ours: the `error` value of an OAuth answer becomes a code only when it is one of the RFC 6749
 * codes listed here (whose meaning the RFC fixes); any other value is reported apart, as the provider's
 * (`AppError.providerError`, "provider error …" in the message). README lists this catalogue.
 *
 * Add codes, never rename them: producers and operators match on them.
 */
export const ERROR_CODES = {
  aborted: 'the request was aborted (the worker is shutting down)',
  board_credentials_missing: 'the board has no credentials configured',
  call_failed: 'a call tried by `oauth-cc connectors try` answered 4xx or 5xx',
  connection_error: 'the connection is in error (see its lastError); connect it again or refresh it',
  connection_pending: 'the connection is still being connected',
  connection_revoked: 'the connection was revoked',
  connection_revoking: 'the connection is being revoked',
  credentials_in_url: "the definition would put client credentials in a URL (token.format 'query')",
  egress_denied: 'the address a request would connect to is not public and not allowed (EGRESS_ALLOWED_NETWORKS)',
  empty_unique_identifier: "the connector's uniqueIdentifier rendered empty for this account",
  interrupted: 'a command was interrupted',
  invalid_allowed_url: "a definition's allowedUrls entry is not a usable URL",
  invalid_client: 'RFC 6749: the provider refused the client authentication',
  invalid_config: 'a setting is missing or invalid',
  invalid_cursor: 'a paging cursor is malformed',
  invalid_field: 'a field value is missing or invalid',
  invalid_grant: 'RFC 6749: the provider refused the grant (such as an expired refresh token)',
  invalid_header: 'a request header is malformed or may not be set (host, hop-by-hop, content-length)',
  invalid_job_id: 'a job id does not name a call partition (<partition>.<job id>)',
  invalid_page: 'a page size is out of range',
  invalid_payload: 'job data does not match the job contract',
  invalid_private_key: 'the private key of private_key_jwt cannot be read',
  invalid_request: 'RFC 6749: the provider found the request malformed; or the request cannot be sent',
  invalid_scope: 'RFC 6749: the provider refused the scope',
  invalid_sealed_value: 'a sealed value does not open here (wrong key, place or owner)',
  invalid_target: 'RFC 8707: the provider refused the resource',
  invalid_template: 'a template is malformed or names an unknown variable',
  invalid_token_response: 'the token endpoint answered success without a usable token',
  invalid_url: 'a URL is malformed',
  missing_client_certificate: 'tls_client_auth needs the client certificate field',
  missing_client_id: 'client authentication needs the client id field',
  missing_client_private_key: "tls_client_auth needs the certificate's private key field",
  missing_client_secret: 'this client authentication needs the client secret field',
  missing_private_key: 'private_key_jwt needs the private key field',
  network: 'the connection to the remote side failed',
  no_definitions: 'no connector definitions were found',
  no_test_api: 'the connector has no test API',
  not_found: 'the connection, connector or job does not exist (for this owner)',
  path_not_found: 'a file or folder does not exist',
  rate_limited: 'the remote side asked to slow down (429)',
  response_too_large: 'an answer is larger than allowed',
  rotation_conflict: 'a value kept changing while its key was being rotated',
  sealed_value_invalid: 'a sealed value is corrupt or sealed with an unknown key',
  server_error: 'RFC 6749: the provider failed (or answered 5xx)',
  slow_down: 'RFC 8628: the provider asked to slow down',
  store_unavailable: 'our database cannot be reached',
  temporarily_unavailable: 'RFC 6749: the provider is temporarily unavailable (or answered 408, 409, 423, 425, 503)',
  test_failed: 'the test API refused the connection',
  timeout: 'the remote side did not answer in time',
  tls_error: 'TLS failed (certificate or trusted CAs)',
  token_endpoint_error: 'the token or revocation endpoint refused with no code of ours (see the provider error)',
  token_rejected: 'the API rejected even a freshly renewed token',
  unauthorized_client: 'RFC 6749: the client may not use this grant',
  undecodable_response: 'an answer uses a content coding that cannot be decoded, so it cannot be checked for secrets',
  unexpected: 'an unexpected failure; the worker log has the details',
  unknown_connector: 'no connector definition has this key',
  unsafe_url: 'a rendered URL would leave its allowed place',
  unstorable_text: 'a value holds text the database cannot store (NUL, or a lone surrogate)',
  unsupported_grant_type: 'RFC 6749: the provider does not support the grant',
  upstream_unavailable: 'the API kept answering 429 or 5xx',
  url_not_allowed: "a call's URL is outside the connector's allowed URLs",
  webhook_refused: 'the webhook receiver refused an event',
  write_conflict: 'a connection kept changing while being written',
} as const satisfies Record<string, string>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(ERROR_CODES, value);
}

/** The codes of RFC 6749 §5.2 and RFC 8707 that say retrying will not help. */
export const OAUTH_PERMANENT_ERROR_CODES = [
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'invalid_target',
] as const satisfies readonly ErrorCode[];

/** The codes that say "later" whatever the status (RFC 6749 §4.1.2.1, RFC 8628). */
export const OAUTH_TRANSIENT_ERROR_CODES = [
  'temporarily_unavailable',
  'server_error',
  'slow_down',
] as const satisfies readonly ErrorCode[];

/** The codes of RFC 6749 §5.2 (and RFC 8628, RFC 8707) a provider's `error` may carry: these alone become ours. */
export const OAUTH_ERROR_CODES = [...OAUTH_PERMANENT_ERROR_CODES, ...OAUTH_TRANSIENT_ERROR_CODES] as const;

export type OAuthErrorCode = (typeof OAUTH_ERROR_CODES)[number];

export function isOAuthErrorCode(value: string): value is OAuthErrorCode {
  return (OAUTH_ERROR_CODES as readonly string[]).includes(value);
}
