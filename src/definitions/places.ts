/** Every template of a definition, with the rules of the place it is used at. */
import type { PlaceKind, Stage, TemplatePlace } from './check-templates.js';
import type { PathSegment } from './issues.js';
import { DEFAULT_CLIENT_CERTIFICATE, DEFAULT_CLIENT_PRIVATE_KEY, DEFAULT_PRIVATE_KEY } from './resolve.js';
import { BUDGET_SCOPES, type ConnectorDefinition } from './schema.js';

type Base = Omit<TemplatePlace, 'path' | 'template'>;

function record(path: PathSegment[], values: Record<string, string> | undefined, base: Base): TemplatePlace[] {
  return Object.entries(values ?? {}).map(([name, template]) => ({ ...base, path: [...path, name], template, name }));
}

/** String leaves of a JSON body are templates too. */
function body(path: PathSegment[], value: unknown, base: Base): TemplatePlace[] {
  if (typeof value === 'string') return [{ ...base, path, template: value }];
  if (Array.isArray(value)) return value.flatMap((item, index) => body([...path, index], item, base));
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([key, item]) => body([...path, key], item, { ...base, name: key }));
  }
  return [];
}

const url = (stage: Stage, kind: PlaceKind = 'url'): Base => ({
  stage,
  kind,
  noSecrets: kind === 'allowedUrl' ? 'in allowed URLs' : 'in a URL',
});
const QUERY = 'in query parameters (URLs end up in logs)';
const HEADER = 'a header value';

/**
 * Private keys must come from secret fields. When the method needs a key and the definition does not name one,
 * the default template is checked, so a missing `private_key` field is reported where it can be fixed.
 */
function keyPlaces(token: ConnectorDefinition['token']): TemplatePlace[] {
  const keys = [
    { key: 'privateKey', method: 'private_key_jwt', fallback: DEFAULT_PRIVATE_KEY, secretOnly: true },
    { key: 'clientCertificate', method: 'tls_client_auth', fallback: DEFAULT_CLIENT_CERTIFICATE, secretOnly: false },
    { key: 'clientPrivateKey', method: 'tls_client_auth', fallback: DEFAULT_CLIENT_PRIVATE_KEY, secretOnly: true },
  ] as const;
  return keys.flatMap(({ key, method, fallback, secretOnly }): TemplatePlace[] => {
    const template = token[key];
    if (template === undefined && token.clientAuth !== method) return [];
    const unknownHint =
      template === undefined
        ? `it is the default for ${method}; add a ${secretOnly ? 'secret ' : ''}multiline field ${fallback.slice(2, -2)} or set token.${key}`
        : undefined;
    const place: Omit<TemplatePlace, 'template'> = {
      stage: 'token',
      kind: 'text',
      secretOnly,
      pem: true,
      unknownHint,
      path: ['token', key],
    };
    return [{ ...place, template: template ?? fallback }];
  });
}

function tokenPlaces(token: ConnectorDefinition['token']): TemplatePlace[] {
  // With format "query", parameters and scopes travel in the URL.
  const param: Base = {
    stage: 'token',
    kind: 'text',
    checkCredentials: true,
    ...(token.format === 'query' && { noSecrets: QUERY }),
  };
  const text: Base = { stage: 'token', kind: 'text' };
  const places: TemplatePlace[] = [{ ...url('token'), path: ['token', 'url'], template: token.url }];
  places.push(...(token.scopes ?? []).map((template, i) => ({ ...param, path: ['token', 'scopes', i], template })));
  for (const [name, value] of Object.entries(token.params ?? {})) {
    const templates = typeof value === 'string' ? [value] : value;
    const path = (i: number): PathSegment[] =>
      typeof value === 'string' ? ['token', 'params', name] : ['token', 'params', name, i];
    places.push(...templates.map((template, i) => ({ ...param, path: path(i), template, name })));
  }
  places.push(...record(['token', 'headers'], token.headers, { ...text, checkCredentials: true, singleLine: HEADER }));
  const optional = ['assertionAudience', 'assertionKeyId'] as const;
  for (const key of optional) {
    const template = token[key];
    if (template !== undefined) places.push({ ...text, path: ['token', key], template });
  }
  places.push(...keyPlaces(token));
  return places;
}

function testPlaces(test: NonNullable<ConnectorDefinition['test']>): TemplatePlace[] {
  const text: Base = { stage: 'test', kind: 'text', checkCredentials: true };
  return [
    { ...url('test'), path: ['test', 'url'], template: test.url },
    ...record(['test', 'headers'], test.headers, { ...text, singleLine: HEADER }),
    ...record(['test', 'query'], test.query, { ...text, kind: 'query', noSecrets: QUERY }),
    ...body(['test', 'body'], test.body, text),
  ];
}

/** Budget scopes other than the named ones are templates; they name a shared Redis key, so no secrets. */
function scopePlaces(def: ConnectorDefinition): TemplatePlace[] {
  return (def.rateLimits ?? []).flatMap(({ scope }, i): TemplatePlace[] =>
    scope === undefined || (BUDGET_SCOPES as readonly string[]).includes(scope)
      ? []
      : [
          {
            stage: 'use',
            kind: 'scope',
            noSecrets: 'in a budget scope',
            path: ['rateLimits', i, 'scope'],
            template: scope,
          },
        ],
  );
}

function usePlaces(def: ConnectorDefinition): TemplatePlace[] {
  const text: Base = { stage: 'use', kind: 'text', checkCredentials: true };
  const name: Base = { stage: 'use', kind: 'name', noSecrets: 'in connection names (they are shown)' };
  const defaults = def.requestDefaults;
  const places: TemplatePlace[] = def.allowedUrls.map((template, i) => ({
    ...url('use', 'allowedUrl'),
    path: ['allowedUrls', i],
    template,
  }));
  if (def.refresh) places.push({ ...url('use'), path: ['refresh', 'url'], template: def.refresh.url });
  if (def.revoke) places.push({ ...url('use'), path: ['revoke', 'url'], template: def.revoke.url });
  if (def.uniqueIdentifier !== undefined)
    places.push({ ...name, path: ['uniqueIdentifier'], template: def.uniqueIdentifier });
  if (def.connectionName !== undefined)
    places.push({ ...name, path: ['connectionName'], template: def.connectionName });
  places.push(...record(['requestDefaults', 'headers'], defaults?.headers, { ...text, singleLine: HEADER }));
  places.push(...record(['requestDefaults', 'query'], defaults?.query, { ...text, kind: 'query', noSecrets: QUERY }));
  places.push(...body(['requestDefaults', 'body'], defaults?.body, text));
  places.push(...scopePlaces(def));
  return places;
}

/** The templates the user wrote, each with the rules of its place. */
export function templatePlaces(def: ConnectorDefinition): TemplatePlace[] {
  return [...tokenPlaces(def.token), ...(def.test ? testPlaces(def.test) : []), ...usePlaces(def)];
}
