/**
 * The exchanges each catalogue entry must produce, written from the provider's documentation (connectors/SOURCES.md
 * cites it), not from the definitions: the real token URL, where the client credentials go, the exact body
 * parameters, the answer's shape, the test API and, where documented, its rate-limit headers.
 */
export interface DocumentedExchange {
  key: string;
  /** What the user enters; client_id and client_secret are always among them. */
  fields: Record<string, string>;
  token: {
    url: string;
    /** basic: `Authorization: Basic base64(id:secret)`; body: both in the body; private_key_jwt: an assertion. */
    auth: 'basic' | 'body' | 'private_key_jwt';
    /** @default "form" */
    format?: 'form' | 'json';
    /** Every body parameter besides the client credentials, exactly. */
    params: Record<string, unknown>;
    headers?: Record<string, string>;
    status?: number;
    /** The documented answer; the fake adds the access_token. */
    answer: Record<string, unknown>;
  };
  test?: {
    method?: string;
    url: string;
    headers?: Record<string, string>;
    answer: unknown;
    answerHeaders?: Record<string, string>;
  };
  uniqueId: string;
  connectionName: string;
}

const CC = { grant_type: 'client_credentials' };
const bearer = (expires_in: number | string, extra: Record<string, unknown> = {}) => ({
  token_type: 'Bearer',
  expires_in,
  ...extra,
});
const credentials = (key: string) => ({ client_id: `cid-${key}`, client_secret: `sec-${key}-7Qz` });
const TENANT = '8f2c1d3e-4b5a-4c6d-9e7f-0a1b2c3d4e5f';
const GUID = '5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d8e';

export const DOCUMENTED: DocumentedExchange[] = [
  {
    key: 'adobe',
    fields: { ...credentials('adobe'), org_id: 'ABC123@AdobeOrg' },
    token: {
      url: 'https://ims-na1.adobelogin.com/ims/token/v3',
      auth: 'body',
      params: { ...CC, scope: 'openid,AdobeID,read_organizations' },
      answer: bearer(86399),
    },
    uniqueId: 'ABC123@AdobeOrg/cid-adobe',
    connectionName: 'Adobe ABC123@AdobeOrg',
  },
  {
    key: 'amadeus',
    fields: credentials('amadeus'),
    token: {
      url: 'https://test.api.amadeus.com/v1/security/oauth2/token',
      auth: 'body',
      params: CC,
      answer: {
        type: 'amadeusOAuth2Token',
        username: 'dev@example.com',
        application_name: 'Flight Finder',
        client_id: 'cid-amadeus',
        token_type: 'Bearer',
        expires_in: 1799,
        state: 'approved',
        scope: '',
      },
    },
    uniqueId: 'test.api.amadeus.com/cid-amadeus',
    connectionName: 'Amadeus Flight Finder',
  },
  {
    key: 'amazon-cognito',
    fields: {
      ...credentials('amazon-cognito'),
      domain: 'my-pool.auth.eu-west-1.amazoncognito.com',
      scope: 'orders-api/read',
      api_base: 'api.example.com',
    },
    token: {
      url: 'https://my-pool.auth.eu-west-1.amazoncognito.com/oauth2/token',
      auth: 'basic',
      params: { ...CC, scope: 'orders-api/read' },
      answer: bearer(3600),
    },
    uniqueId: 'my-pool.auth.eu-west-1.amazoncognito.com/cid-amazon-cognito',
    connectionName: 'Cognito my-pool.auth.eu-west-1.amazoncognito.com',
  },
  {
    key: 'auth0',
    fields: { ...credentials('auth0'), domain: 'acme.us.auth0.com', audience: 'https://acme.us.auth0.com/api/v2/' },
    token: {
      url: 'https://acme.us.auth0.com/oauth/token',
      auth: 'body',
      format: 'json',
      params: { ...CC, audience: 'https://acme.us.auth0.com/api/v2/' },
      answer: bearer(86400, { scope: 'read:users' }),
    },
    uniqueId: 'acme.us.auth0.com/cid-auth0',
    connectionName: 'Auth0 acme.us.auth0.com',
  },
  {
    key: 'azure-resource-manager',
    fields: { ...credentials('azure-resource-manager'), tenant_id: TENANT },
    token: {
      url: `https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/token`,
      auth: 'body',
      params: { ...CC, scope: 'https://management.azure.com/.default' },
      answer: bearer(3599, { ext_expires_in: 3599 }),
    },
    test: {
      url: 'https://management.azure.com/subscriptions?api-version=2022-12-01',
      answer: { value: [] },
      answerHeaders: { 'x-ms-ratelimit-remaining-tenant-reads': '11999' },
    },
    uniqueId: `${TENANT}/cid-azure-resource-manager`,
    connectionName: `Azure ${TENANT}`,
  },
  {
    key: 'battle-net',
    fields: credentials('battle-net'),
    token: {
      url: 'https://oauth.battle.net/token',
      auth: 'basic',
      params: CC,
      answer: { token_type: 'bearer', expires_in: 86399, sub: 'cid-battle-net' },
    },
    uniqueId: 'cid-battle-net',
    connectionName: 'Battle.net cid-battle-net',
  },
  {
    key: 'bitbucket',
    fields: credentials('bitbucket'),
    token: {
      url: 'https://bitbucket.org/site/oauth2/access_token',
      auth: 'basic',
      params: CC,
      answer: {
        scopes: 'account repository',
        token_type: 'bearer',
        expires_in: 7200,
        refresh_token: 'fake-refresh-1234567890',
        state: 'client_credentials',
      },
    },
    test: {
      url: 'https://api.bitbucket.org/2.0/user',
      answer: { uuid: '{a1b2c3}', display_name: 'Ada Lovelace', type: 'user' },
    },
    uniqueId: '{a1b2c3}',
    connectionName: 'Bitbucket Ada Lovelace',
  },
  {
    key: 'box',
    fields: { ...credentials('box'), enterprise_id: '15290560022' },
    token: {
      url: 'https://api.box.com/oauth2/token',
      auth: 'body',
      params: { ...CC, box_subject_type: 'enterprise', box_subject_id: '15290560022' },
      answer: { token_type: 'bearer', expires_in: 3600, restricted_to: [] },
    },
    test: {
      url: 'https://api.box.com/2.0/users/me',
      answer: { type: 'user', id: '11446498', name: 'Service Account', login: 'AutomationUser_1@boxdevedition.com' },
    },
    uniqueId: '15290560022/11446498',
    connectionName: 'Box Service Account',
  },
  {
    key: 'cisco-umbrella',
    fields: credentials('cisco-umbrella'),
    token: {
      url: 'https://api.umbrella.com/auth/v2/token',
      auth: 'basic',
      params: CC,
      answer: bearer(3600),
    },
    uniqueId: 'cid-cisco-umbrella',
    connectionName: 'Umbrella key cid-cisco-umbrella',
  },
  {
    key: 'commercetools',
    fields: { ...credentials('commercetools'), region: 'europe-west1.gcp', project_key: 'acme-shop' },
    token: {
      url: 'https://auth.europe-west1.gcp.commercetools.com/oauth/token',
      auth: 'basic',
      params: { ...CC, scope: 'view_products:acme-shop' },
      answer: bearer(172800, { scope: 'view_products:acme-shop' }),
    },
    test: {
      url: 'https://api.europe-west1.gcp.commercetools.com/acme-shop',
      answer: { key: 'acme-shop', name: 'Acme Shop', version: 3 },
    },
    uniqueId: 'europe-west1.gcp/acme-shop/cid-commercetools',
    connectionName: 'commercetools Acme Shop',
  },
  {
    key: 'crowdstrike',
    fields: credentials('crowdstrike'),
    token: {
      url: 'https://api.crowdstrike.com/oauth2/token',
      auth: 'body',
      params: {},
      status: 201,
      answer: { token_type: 'bearer', expires_in: 1799 },
    },
    test: {
      url: 'https://api.crowdstrike.com/sensors/queries/installers/v1?limit=1',
      answer: { meta: { query_time: 0.01 }, resources: [], errors: [] },
      answerHeaders: { 'x-ratelimit-limit': '6000', 'x-ratelimit-remaining': '5999' },
    },
    uniqueId: 'api.crowdstrike.com/cid-crowdstrike',
    connectionName: 'CrowdStrike api.crowdstrike.com',
  },
  {
    key: 'dataverse',
    fields: { ...credentials('dataverse'), tenant_id: TENANT, org: 'contoso' },
    token: {
      url: `https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/token`,
      auth: 'body',
      params: { ...CC, scope: 'https://contoso.crm.dynamics.com/.default' },
      answer: bearer(3599, { ext_expires_in: 3599 }),
    },
    test: {
      url: 'https://contoso.crm.dynamics.com/api/data/v9.2/WhoAmI',
      answer: { BusinessUnitId: GUID, UserId: GUID, OrganizationId: 'org-7f3e' },
      answerHeaders: { 'x-ms-ratelimit-burst-remaining-xrm-requests': '5999' },
    },
    uniqueId: 'org-7f3e/cid-dataverse',
    connectionName: 'Dataverse contoso',
  },
  {
    key: 'discord',
    fields: credentials('discord'),
    token: {
      url: 'https://discord.com/api/oauth2/token',
      auth: 'basic',
      params: { ...CC, scope: 'identify' },
      answer: bearer(604800, { scope: 'identify' }),
    },
    test: {
      url: 'https://discord.com/api/v10/oauth2/@me',
      answer: { application: { id: '159799960412356608', name: 'Acme Bot' }, scopes: ['identify'] },
      answerHeaders: { 'x-ratelimit-limit': '5', 'x-ratelimit-remaining': '4', 'x-ratelimit-reset-after': '1' },
    },
    uniqueId: '159799960412356608',
    connectionName: 'Discord Acme Bot',
  },
  {
    key: 'ebay',
    fields: credentials('ebay'),
    token: {
      url: 'https://api.ebay.com/identity/v1/oauth2/token',
      auth: 'basic',
      params: { ...CC, scope: 'https://api.ebay.com/oauth/api_scope' },
      answer: { token_type: 'Application Access Token', expires_in: 7200 },
    },
    uniqueId: 'api.ebay.com/cid-ebay',
    connectionName: 'eBay api.ebay.com',
  },
  {
    key: 'fedex',
    fields: credentials('fedex'),
    token: {
      url: 'https://apis.fedex.com/oauth/token',
      auth: 'body',
      params: CC,
      answer: { token_type: 'bearer', expires_in: 3599, scope: 'CXS' },
    },
    uniqueId: 'apis.fedex.com/cid-fedex',
    connectionName: 'FedEx apis.fedex.com',
  },
  {
    key: 'genesys-cloud',
    fields: credentials('genesys-cloud'),
    token: {
      url: 'https://login.mypurecloud.com/oauth/token',
      auth: 'basic',
      params: CC,
      answer: { token_type: 'bearer', expires_in: 86399 },
    },
    test: {
      url: 'https://api.mypurecloud.com/api/v2/organizations/me',
      answer: { id: GUID, name: 'Acme Contact Center', thirdPartyOrgName: 'acme' },
    },
    uniqueId: `${GUID}/cid-genesys-cloud`,
    connectionName: 'Genesys Cloud Acme Contact Center',
  },
  {
    key: 'keycloak',
    fields: { ...credentials('keycloak'), host: 'sso.example.com', realm: 'acme' },
    token: {
      url: 'https://sso.example.com/realms/acme/protocol/openid-connect/token',
      auth: 'basic',
      params: { ...CC, scope: 'openid' },
      answer: bearer(300, { refresh_expires_in: 0, 'not-before-policy': 0, scope: 'openid profile email' }),
    },
    test: {
      url: 'https://sso.example.com/realms/acme/protocol/openid-connect/userinfo',
      answer: { sub: GUID, preferred_username: 'service-account-acme-sync', email_verified: false },
    },
    uniqueId: `sso.example.com/acme/${GUID}`,
    connectionName: 'Keycloak acme (service-account-acme-sync)',
  },
  {
    key: 'kroger',
    fields: credentials('kroger'),
    token: {
      url: 'https://api.kroger.com/v1/connect/oauth2/token',
      auth: 'basic',
      params: { ...CC, scope: 'product.compact' },
      answer: bearer(1800),
    },
    uniqueId: 'cid-kroger',
    connectionName: 'Kroger app cid-kroger',
  },
  {
    key: 'microsoft-graph',
    fields: { ...credentials('microsoft-graph'), client_id: GUID, tenant_id: TENANT },
    token: {
      url: `https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/token`,
      auth: 'body',
      params: { ...CC, scope: 'https://graph.microsoft.com/.default' },
      answer: bearer(3599, { ext_expires_in: 3599 }),
    },
    test: {
      url: 'https://graph.microsoft.com/v1.0/organization?%24select=id%2CdisplayName',
      answer: { value: [{ id: TENANT, displayName: 'Contoso' }] },
    },
    uniqueId: `${TENANT}/${GUID}`,
    connectionName: `Microsoft Graph ${TENANT}`,
  },
  {
    key: 'okta',
    fields: { client_id: 'cid-okta', okta_domain: 'example.okta.com', key_id: 'kid-1' },
    token: {
      url: 'https://example.okta.com/oauth2/v1/token',
      auth: 'private_key_jwt',
      params: { ...CC, scope: 'okta.users.read' },
      answer: bearer(3600, { scope: 'okta.users.read' }),
    },
    test: {
      url: 'https://example.okta.com/api/v1/users?limit=1',
      answer: [],
      answerHeaders: {
        'x-rate-limit-limit': '600',
        'x-rate-limit-remaining': '599',
        'x-rate-limit-reset': '1767225600',
      },
    },
    uniqueId: 'example.okta.com/cid-okta',
    connectionName: 'Okta example.okta.com',
  },
  {
    key: 'onelogin',
    fields: { ...credentials('onelogin'), subdomain: 'acme' },
    token: {
      url: 'https://acme.onelogin.com/auth/oauth2/v2/token',
      auth: 'basic',
      format: 'json',
      params: CC,
      answer: {
        created_at: '2026-12-01T10:00:00.000Z',
        expires_in: 36000,
        refresh_token: 'fake-onelogin-refresh-0987654321',
        token_type: 'bearer',
        account_id: 555555,
      },
    },
    test: {
      url: 'https://acme.onelogin.com/api/2/users?limit=1',
      answer: [],
      answerHeaders: { 'x-rate-limit-limit': '5000', 'x-rate-limit-remaining': '4999', 'x-rate-limit-reset': '1200' },
    },
    uniqueId: 'acme/cid-onelogin',
    connectionName: 'OneLogin acme',
  },
  {
    key: 'paypal',
    fields: credentials('paypal'),
    token: {
      url: 'https://api-m.paypal.com/v1/oauth2/token',
      auth: 'basic',
      params: CC,
      answer: {
        scope: 'https://uri.paypal.com/services/invoicing openid',
        token_type: 'Bearer',
        app_id: 'APP-80W284485P519543T',
        expires_in: 31668,
        nonce: '2026-12-01T10:00:00Z-nonce',
      },
    },
    uniqueId: 'api-m.paypal.com/cid-paypal',
    connectionName: 'PayPal APP-80W284485P519543T',
  },
  {
    key: 'petfinder',
    fields: credentials('petfinder'),
    token: {
      url: 'https://api.petfinder.com/v2/oauth2/token',
      auth: 'body',
      params: CC,
      answer: bearer(3600),
    },
    test: { url: 'https://api.petfinder.com/v2/types', answer: { types: [{ name: 'Dog' }] } },
    uniqueId: 'cid-petfinder',
    connectionName: 'Petfinder cid-petfinder',
  },
  {
    key: 'pingone',
    fields: { ...credentials('pingone'), environment_id: TENANT },
    token: {
      url: `https://auth.pingone.com/${TENANT}/as/token`,
      auth: 'basic',
      params: CC,
      answer: bearer(3600),
    },
    test: {
      url: `https://api.pingone.com/v1/environments/${TENANT}`,
      answer: { id: TENANT, name: 'Acme Production', type: 'PRODUCTION' },
    },
    uniqueId: `${TENANT}/cid-pingone`,
    connectionName: 'PingOne Acme Production',
  },
  {
    key: 'reddit',
    fields: { ...credentials('reddit'), user_agent: 'linux:acme-sync:v1.0 (by /u/acme)' },
    token: {
      url: 'https://www.reddit.com/api/v1/access_token',
      auth: 'basic',
      params: CC,
      headers: { 'user-agent': 'linux:acme-sync:v1.0 (by /u/acme)' },
      answer: { token_type: 'bearer', expires_in: 86400, scope: '*' },
    },
    test: {
      url: 'https://oauth.reddit.com/api/v1/scopes',
      headers: { 'user-agent': 'linux:acme-sync:v1.0 (by /u/acme)' },
      answer: { read: { id: 'read', name: 'Read Content' } },
      answerHeaders: { 'x-ratelimit-used': '1', 'x-ratelimit-remaining': '99', 'x-ratelimit-reset': '540' },
    },
    uniqueId: 'cid-reddit',
    connectionName: 'Reddit app cid-reddit',
  },
  {
    key: 'salesforce',
    fields: { ...credentials('salesforce'), my_domain: 'acme' },
    token: {
      url: 'https://acme.my.salesforce.com/services/oauth2/token',
      auth: 'body',
      params: CC,
      answer: {
        instance_url: 'https://acme.my.salesforce.com',
        id: 'https://login.salesforce.com/id/00D000000000001/005000000000001',
        token_type: 'Bearer',
        issued_at: '1767225600000',
        signature: 'c2lnbmF0dXJl',
      },
    },
    test: {
      url: 'https://acme.my.salesforce.com/services/oauth2/userinfo',
      answer: { organization_id: '00D000000000001', preferred_username: 'integration@acme.com' },
      answerHeaders: { 'sforce-limit-info': 'api-usage=18/15000' },
    },
    uniqueId: '00D000000000001',
    connectionName: 'Salesforce acme (integration@acme.com)',
  },
  {
    key: 'sap-btp-xsuaa',
    fields: {
      ...credentials('sap-btp-xsuaa'),
      uaa_url: 'acme.authentication.eu10.hana.ondemand.com',
      api_host: 'api.acme.cfapps.eu10.hana.ondemand.com',
    },
    token: {
      url: 'https://acme.authentication.eu10.hana.ondemand.com/oauth/token',
      auth: 'basic',
      params: CC,
      answer: { token_type: 'bearer', expires_in: 43199, scope: 'uaa.resource', jti: 'a1b2c3' },
    },
    uniqueId: 'acme.authentication.eu10.hana.ondemand.com/cid-sap-btp-xsuaa',
    connectionName: 'SAP BTP acme.authentication.eu10.hana.ondemand.com',
  },
  {
    key: 'servicenow',
    fields: { ...credentials('servicenow'), instance: 'acme' },
    token: {
      url: 'https://acme.service-now.com/oauth_token.do',
      auth: 'body',
      params: CC,
      answer: { scope: 'useraccount', token_type: 'Bearer', expires_in: 1799 },
    },
    test: {
      url: 'https://acme.service-now.com/api/now/table/sys_user?sysparm_limit=1&sysparm_fields=sys_id',
      answer: { result: [{ sys_id: '6816f79cc0a8016401c5a33be04be441' }] },
    },
    uniqueId: 'acme/cid-servicenow',
    connectionName: 'ServiceNow acme',
  },
  {
    key: 'sophos',
    fields: credentials('sophos'),
    token: {
      url: 'https://id.sophos.com/api/v2/oauth2/token',
      auth: 'body',
      params: { ...CC, scope: 'token' },
      answer: { token_type: 'bearer', message: 'OK', errorCode: 'success', expires_in: 3600, trackingId: GUID },
    },
    test: {
      url: 'https://api.central.sophos.com/whoami/v1',
      answer: {
        id: TENANT,
        idType: 'tenant',
        apiHosts: { global: 'https://api.central.sophos.com', dataRegion: 'https://api-eu01.central.sophos.com' },
      },
    },
    uniqueId: `tenant/${TENANT}`,
    connectionName: `Sophos tenant ${TENANT}`,
  },
  {
    key: 'spotify',
    fields: credentials('spotify'),
    token: {
      url: 'https://accounts.spotify.com/api/token',
      auth: 'basic',
      params: CC,
      answer: bearer(3600),
    },
    test: { url: 'https://api.spotify.com/v1/markets', answer: { markets: ['AD', 'AE'] } },
    uniqueId: 'cid-spotify',
    connectionName: 'Spotify app cid-spotify',
  },
  {
    key: 'twitch',
    fields: credentials('twitch'),
    token: {
      url: 'https://id.twitch.tv/oauth2/token',
      auth: 'body',
      params: CC,
      answer: { expires_in: 5011271, token_type: 'bearer' },
    },
    test: {
      url: 'https://api.twitch.tv/helix/games/top?first=1',
      headers: { 'client-id': 'cid-twitch' },
      answer: { data: [{ id: '33214', name: 'Fortnite' }], pagination: {} },
      answerHeaders: { 'ratelimit-limit': '800', 'ratelimit-remaining': '799', 'ratelimit-reset': '1767225600' },
    },
    uniqueId: 'cid-twitch',
    connectionName: 'Twitch app cid-twitch',
  },
  {
    key: 'ups',
    fields: { ...credentials('ups'), merchant_id: 'A1B2C3' },
    token: {
      url: 'https://onlinetools.ups.com/security/v1/oauth/token',
      auth: 'basic',
      params: CC,
      headers: { 'x-merchant-id': 'A1B2C3' },
      answer: {
        token_type: 'Bearer',
        issued_at: '1767225600000',
        client_id: 'cid-ups',
        expires_in: '14399',
        status: 'approved',
      },
    },
    uniqueId: 'onlinetools.ups.com/A1B2C3',
    connectionName: 'UPS A1B2C3',
  },
  {
    key: 'vimeo',
    fields: credentials('vimeo'),
    token: {
      url: 'https://api.vimeo.com/oauth/authorize/client',
      auth: 'basic',
      params: { ...CC, scope: 'public' },
      answer: { token_type: 'bearer', scope: 'public', app: { name: 'Acme', uri: '/apps/123' } },
    },
    uniqueId: 'cid-vimeo',
    connectionName: 'Vimeo app cid-vimeo',
  },
  {
    key: 'x-app-only',
    fields: credentials('x-app-only'),
    token: {
      url: 'https://api.x.com/oauth2/token',
      auth: 'basic',
      params: CC,
      answer: { token_type: 'bearer' },
    },
    uniqueId: 'cid-x-app-only',
    connectionName: 'X app cid-x-app-only',
  },
  {
    key: 'xero',
    fields: { ...credentials('xero'), tenant_id: TENANT },
    token: {
      url: 'https://identity.xero.com/connect/token',
      auth: 'basic',
      params: CC,
      answer: bearer(1800, { scope: 'accounting.transactions accounting.contacts' }),
    },
    test: {
      url: 'https://api.xero.com/connections',
      headers: { 'xero-tenant-id': TENANT },
      answer: [{ tenantId: TENANT, tenantType: 'ORGANISATION', tenantName: 'Demo Company' }],
      answerHeaders: {
        'x-minlimit-remaining': '59',
        'x-daylimit-remaining': '4999',
        'x-appminlimit-remaining': '9999',
      },
    },
    uniqueId: 'cid-xero',
    connectionName: 'Xero custom connection cid-xero',
  },
  {
    key: 'zoom',
    fields: { ...credentials('zoom'), account_id: 'acct-42' },
    token: {
      url: 'https://zoom.us/oauth/token',
      auth: 'basic',
      params: { grant_type: 'account_credentials', account_id: 'acct-42' },
      answer: bearer(3599, { scope: 'user:read:admin', api_url: 'https://api.zoom.us' }),
    },
    test: {
      url: 'https://api.zoom.us/v2/users/me',
      answer: { id: 'KDcuGIm1QgePTO8WbOqwIQ', email: 'admin@acme.com' },
      answerHeaders: { 'x-ratelimit-category': 'Light', 'x-ratelimit-limit': '30', 'x-ratelimit-remaining': '29' },
    },
    uniqueId: 'acct-42/cid-zoom',
    connectionName: 'Zoom admin@acme.com',
  },
];
