import type { TokenEndpointSpec } from '../../src/oauth/types.js';
import type { TestProvider } from '../support/provider.js';

export const DEFAULT_RESPONSE: TokenEndpointSpec['response'] = {
  accessToken: 'access_token',
  tokenType: 'token_type',
  expiresIn: 'expires_in',
  expiresInUnit: 'seconds',
  refreshToken: 'refresh_token',
  scope: 'scope',
};

/** A client-credentials spec against the provider's token endpoint, basic auth, form body. */
export function specFor(provider: TestProvider, overrides: Partial<TokenEndpointSpec> = {}): TokenEndpointSpec {
  return {
    url: `${provider.url}/oauth/token`,
    grantType: 'client_credentials',
    clientAuth: 'basic',
    format: 'form',
    params: [],
    headers: {},
    credentials: { clientId: 'client-1', clientSecret: 'secret-1' },
    response: DEFAULT_RESPONSE,
    defaultLifetimeSeconds: 3600,
    timeoutMs: 5000,
    ...overrides,
  };
}

/** Runs a promise that must reject, and returns the error. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error('expected a rejection');
}
