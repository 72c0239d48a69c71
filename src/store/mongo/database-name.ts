/**
 * Which MongoDB database the store uses: the one named in the path of the URL (`mongodb://host:27017/oauth_cc` uses
 * `oauth_cc`), unless an explicit name overrides it. A URL without one is refused rather than left to the driver,
 * which would silently use `test`.
 */
import { AppError } from '../../errors.js';

// MongoDB refuses these in a database name (on any platform), and the name must fit in 63 bytes.
const FORBIDDEN = /[/\\. "$*<>:|?\0]/;

/** The database named in the URL's path, percent-decoded; undefined when the path names none. */
export function databaseInUrl(url: string): string | undefined {
  // Hosts may be a comma-separated list, which URL cannot parse; the path starts at the first '/' after them
  // (user and password are percent-encoded, so they hold no '/').
  const afterScheme = url.replace(/^mongodb(\+srv)?:\/\//, '');
  const slash = afterScheme.search(/[/?#]/);
  if (slash === -1 || afterScheme[slash] !== '/') return undefined;
  const path = afterScheme.slice(slash + 1).split(/[?#]/)[0] ?? '';
  return path === '' ? undefined : decodeURIComponent(path);
}

export function databaseName(url: string, override: string | undefined): string {
  const name = override ?? databaseInUrl(url);
  const setting = override === undefined ? 'DATABASE_URL' : 'DATABASE_SCHEMA';
  if (name === undefined) {
    throw new AppError(
      'invalid_input',
      'invalid_config',
      'DATABASE_URL: name the MongoDB database in the path, such as mongodb://host:27017/oauth_cc, or set DATABASE_SCHEMA',
    );
  }
  if (FORBIDDEN.test(name) || Buffer.byteLength(name) > 63) {
    throw new AppError(
      'invalid_input',
      'invalid_config',
      `${setting}: not a MongoDB database name; use at most 63 bytes without / \\ . " $ * < > : | ? or spaces`,
    );
  }
  return name;
}
