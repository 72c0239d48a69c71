/** OAuth 2.0 client credentials protocol: no storage, no queues. */
export { createClientAssertion } from './assertion.js';
export { classifyTokenEndpointFailure, excerpt } from './classify.js';
export { refreshToken, requestToken, revokeToken } from './client.js';
export { applyClientAuthentication, formUrlEncode } from './client-auth.js';
export { buildRevocationRequest, processRevocationResponse, type RevocationSpec } from './revocation.js';
export { buildClientCredentialsRequest, buildRefreshTokenRequest } from './token-request.js';
export { processTokenResponse } from './token-response.js';
export type * from './types.js';
