/** Connector definitions pointing at the local test provider. */
import type { ConnectorDefinition } from '../../src/definitions/schema.js';

export function providerConnector(
  providerUrl: string,
  overrides: Partial<ConnectorDefinition> = {},
): ConnectorDefinition {
  const { token, ...rest } = overrides;
  return {
    key: 'acme',
    name: 'Acme Test API',
    fields: [
      { key: 'client_id', label: 'Client ID', type: 'text', required: true, help: 'Developer portal > Apps' },
      { key: 'client_secret', label: 'Client Secret', type: 'secret', required: true },
      {
        key: 'environment',
        label: 'Environment',
        type: 'select',
        options: ['sandbox', 'production'],
        default: 'production',
      },
      { key: 'api_version', label: 'API version', type: 'text', default: 'v2', pattern: '^v[0-9]+$' },
    ],
    token: { url: `${providerUrl}/oauth/token`, clientAuth: 'basic', scopes: ['contacts.read'], ...token },
    revoke: { url: `${providerUrl}/oauth/revoke` },
    test: { method: 'GET', url: `${providerUrl}/me` },
    connectionName: "{{test.name}}'s Account",
    uniqueIdentifier: '{{test.account_id}}',
    allowedUrls: [`${providerUrl}/api/`],
    requestDefaults: {
      headers: { Authorization: 'Bearer {{access_token}}', 'X-Api-Version': '{{api_version}}' },
      query: { env: '{{environment}}' },
    },
    ...rest,
  };
}
