/**
 * Checks every template of a definition where it is used: variables exist and are known at that moment, secrets
 * stay out of URLs, query strings and names, URLs are https (or loopback http) and warned about when their literal
 * host is not public, and static text does not look like a credential.
 */
import { isIP } from 'node:net';
import { isAppError } from '../errors.js';
import { classifyAddress, describeClass } from '../http/egress.js';
import { credentialHint } from './credentials.js';
import { type DefinitionIssue, error, type PathSegment, warning } from './issues.js';
import type { FieldDefinition } from './schema.js';
import { didYouMean } from './suggest.js';
import { parseTemplate, planUrl, type TemplateVariable, type UrlPiece, type UrlSlot } from './templates.js';
import { isSecureUrl, SECURE_URL_HINT } from './urls.js';

/** When a template is rendered: during the token request, during the test request, or afterwards. */
export type Stage = 'token' | 'test' | 'use';
/** What a template renders: a URL to call, an allowed URL prefix, a query value, a connection name, other text. */
export type PlaceKind = 'url' | 'allowedUrl' | 'query' | 'name' | 'scope' | 'text';

export interface TemplatePlace {
  path: PathSegment[];
  template: string;
  stage: Stage;
  kind: PlaceKind;
  /** Where the value lands, for "secret field … must not appear <here>"; unset when secrets may appear. */
  noSecrets?: string;
  /** Only secret fields may be used (private keys). */
  secretOnly?: boolean;
  /** The value is a PEM key or certificate: its fields must accept line breaks (`multiline`). */
  pem?: boolean;
  /** Where the value lands when it cannot hold line breaks (headers): multiline fields are refused. */
  singleLine?: string;
  /** Header or parameter name, for the credential heuristics; unset when the heuristics do not apply. */
  name?: string;
  checkCredentials?: boolean;
  /** Added to "unknown variable" messages, for templates the user did not write (defaults). */
  unknownHint?: string;
}

export interface CheckContext {
  fields: ReadonlyMap<string, FieldDefinition>;
  hasTest: boolean;
}

type Extra = Exclude<TemplateVariable['source'], 'field'>;

/** Why a non-field variable cannot be used at this place, or undefined when it can. */
function unavailable(source: Extra, place: TemplatePlace): string | undefined {
  if (place.stage === 'token') return 'is not known yet when the token is requested';
  const isUrl = place.kind === 'url' || place.kind === 'allowedUrl';
  if (isUrl && (source === 'access_token' || source === 'token_type')) {
    return 'cannot appear in a URL; send the token in a header (requestDefaults.headers)';
  }
  if (source === 'test' && place.stage === 'test') return 'is not known yet during the test request';
  if (source === 'access_token' && place.kind === 'name') return 'is a secret, and connection names are shown';
  if (source === 'access_token' && place.kind === 'scope') {
    return 'changes with every renewal; name the account with a field or {{token.<path>}}';
  }
  return undefined;
}

function unknownVariable(variable: TemplateVariable, place: TemplatePlace, ctx: CheckContext): string {
  const [key] = variable.path;
  if (variable.path.length > 1 && key !== undefined && ctx.fields.has(key)) {
    return `{{${variable.name}}}: field values have no properties; use {{${key}}}`;
  }
  if (variable.name === 'token' || variable.name === 'test') {
    return `{{${variable.name}}} needs a path, such as {{${variable.name}.account_id}}`;
  }
  const extras = (['access_token', 'token_type'] as const).filter((name) => !unavailable(name, place));
  const candidates = [...ctx.fields.keys(), ...extras];
  const suggestion = didYouMean(variable.name, candidates);
  const fix =
    place.unknownHint ??
    (suggestion
      ? `did you mean {{${suggestion}}}?`
      : `available: ${candidates.map((name) => `{{${name}}}`).join(', ')}`);
  return `unknown variable {{${variable.name}}}; ${fix}`;
}

function checkVariable(variable: TemplateVariable, place: TemplatePlace, ctx: CheckContext): DefinitionIssue[] {
  if (variable.source !== 'field') {
    const why = unavailable(variable.source, place);
    if (why) return [error(place.path, `{{${variable.name}}} ${why}`)];
    if (variable.source === 'test' && !ctx.hasTest) {
      return [
        error(place.path, `{{${variable.name}}} needs a test request; add "test" to read values from its response`),
      ];
    }
    if (variable.source === 'access_token' && place.kind === 'query') {
      return [warning(place.path, 'an access token in a query string ends up in server logs; prefer a header')];
    }
    return [];
  }
  const field = variable.path.length === 1 ? ctx.fields.get(variable.name) : undefined;
  if (field === undefined) return [error(place.path, unknownVariable(variable, place, ctx))];
  if (field.type === 'secret' && place.noSecrets) {
    return [
      error(
        place.path,
        `secret field {{${field.key}}} must not appear ${place.noSecrets}; send it in a header or the body`,
      ),
    ];
  }
  if (field.type !== 'secret' && place.secretOnly) {
    return [
      error(place.path, `{{${field.key}}} is a ${field.type} field; a private key must come from a secret field`),
    ];
  }
  return lineBreakIssues(field, place);
}

/**
 * A PEM value spans lines, so its field must accept line breaks; a header cannot hold them, so a multiline field's
 * value would always be refused there. Either way every connect would fail although the definition validated.
 */
function lineBreakIssues(field: FieldDefinition, place: TemplatePlace): DefinitionIssue[] {
  if (place.pem && !field.multiline) {
    return [
      error(
        place.path,
        `{{${field.key}}} holds a PEM key or certificate, which spans lines; set multiline: true on the field ${field.key}`,
      ),
    ];
  }
  if (place.pem && !field.required) {
    return [
      error(place.path, `{{${field.key}}} is needed for every token request; set required: true on ${field.key}`),
    ];
  }
  if (place.singleLine && field.multiline) {
    return [
      error(
        place.path,
        `{{${field.key}}} is a multiline field and ${place.singleLine} cannot hold line breaks; use a single-line field`,
      ),
    ];
  }
  return [];
}

/** A field in the host or port of a URL must be one line: a multiline value there is always refused. */
function multilineInOrigin(pieces: readonly UrlPiece[], place: TemplatePlace, ctx: CheckContext): DefinitionIssue[] {
  return pieces.flatMap((piece) => {
    if (!('variable' in piece) || (piece.slot !== 'host' && piece.slot !== 'port')) return [];
    const field = ctx.fields.get(piece.variable.name);
    if (!field?.multiline) return [];
    return [
      error(place.path, `{{${field.key}}} is a multiline field and cannot supply the ${piece.slot}; remove multiline`),
    ];
  });
}

const SAMPLE_VALUES: Record<UrlSlot, string> = {
  scheme: '',
  origin: 'https://origin.example',
  host: 'sample',
  port: '443',
  path: 'x',
  query: 'x',
  fragment: 'x',
};

/** The URL with sample values, to check what the template itself fixes (scheme, literal host). */
function sampleUrl(pieces: readonly UrlPiece[]): URL | undefined {
  const text = pieces.map((piece) => ('text' in piece ? piece.text : SAMPLE_VALUES[piece.slot])).join('');
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

function checkUrl(place: TemplatePlace, ctx: CheckContext): DefinitionIssue[] {
  let pieces: readonly UrlPiece[];
  try {
    pieces = planUrl(place.template);
  } catch (caught) {
    if (isAppError(caught)) return [error(place.path, caught.message)];
    throw caught;
  }
  const multiline = multilineInOrigin(pieces, place, ctx);
  if (multiline.length > 0) return multiline;
  const url = sampleUrl(pieces);
  if (url === undefined) return [error(place.path, 'not a valid absolute URL, such as https://api.example.com/v1/')];
  if (!isSecureUrl(url)) return [error(place.path, SECURE_URL_HINT)];
  const egress = nonPublicHostWarning(url, place.path);
  if (place.kind !== 'allowedUrl') return egress;
  if (pieces.some((piece) => piece.slot === 'query' || piece.slot === 'fragment')) {
    return [error(place.path, 'an allowed URL is a prefix; remove the query and fragment')];
  }
  if (!pieces.some((piece) => piece.slot === 'path')) {
    return [error(place.path, `add a path prefix, such as ${place.template}/`)];
  }
  return egress;
}

/**
 * A warning when the URL's literal host is not public (`localhost`, `10.0.0.5`, `[fd00::1]`): workers refuse it
 * unless their EGRESS_ALLOWED_NETWORKS lists it, which is right for a local test provider and wrong for a shared
 * definition. A templated host is only known at connect time, where the egress policy decides.
 */
function nonPublicHostWarning(url: URL, path: PathSegment[]): DefinitionIssue[] {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const classification =
    host === 'localhost' ? { class: 'loopback' as const } : isIP(host) ? classifyAddress(host) : undefined;
  if (classification?.class === undefined) return [];
  return [
    warning(
      path,
      `${url.hostname} is ${describeClass(classification)}, not a public address: workers refuse requests to it ` +
        '(egress_denied) unless EGRESS_ALLOWED_NETWORKS lists its network',
    ),
  ];
}

/** All problems of one template at one place. */
export function checkPlace(place: TemplatePlace, ctx: CheckContext): DefinitionIssue[] {
  let parts: ReturnType<typeof parseTemplate>;
  try {
    parts = parseTemplate(place.template);
  } catch (caught) {
    if (isAppError(caught)) return [error(place.path, caught.message)];
    throw caught;
  }
  const issues: DefinitionIssue[] = [];
  const seen = new Set<string>();
  for (const part of parts) {
    if (!('variable' in part) || seen.has(part.variable.name)) continue;
    seen.add(part.variable.name);
    issues.push(...checkVariable(part.variable, place, ctx));
  }
  if (place.secretOnly && !parts.some((part) => 'variable' in part)) {
    issues.push(error(place.path, 'a private key must come from a secret field, such as {{private_key}}'));
  }
  if (issues.length === 0 && (place.kind === 'url' || place.kind === 'allowedUrl'))
    issues.push(...checkUrl(place, ctx));
  if (place.checkCredentials) {
    const isStatic = parts.every((part) => 'text' in part);
    const text = parts.map((part) => ('text' in part ? part.text : ' ')).join('');
    const hint = credentialHint(text, isStatic ? place.name : undefined);
    if (hint) issues.push(warning(place.path, `${hint}; put credentials in a secret field and use {{its_key}}`));
  }
  return issues;
}
