/**
 * Access to the board. Bull Board has no authentication of its own and can retry, remove and clean jobs, so board
 * access is Redis access: every request under the board's path needs HTTP Basic (BOARD_USER/BOARD_PASSWORD) or a
 * bearer token (BOARD_TOKEN). Comparisons are constant-time, on digests so that lengths do not leak either.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';

export interface BoardCredentials {
  basic?: { user: string; password: string };
  token?: string;
  /** True when the password was generated at start (development only): the operator must be told. */
  generated: boolean;
}

/** The user name of a generated development password. */
export const GENERATED_USER = 'admin';

/**
 * The credentials the board accepts.
 * @throws AppError `board_credentials_missing` in production when none are set
 */
export function boardCredentials(
  config: Pick<Config, 'nodeEnv' | 'boardUser' | 'boardPassword' | 'boardToken'>,
): BoardCredentials {
  const basic =
    config.boardUser !== undefined && config.boardPassword !== undefined
      ? { user: config.boardUser, password: config.boardPassword }
      : undefined;
  if (basic || config.boardToken !== undefined) return { basic, token: config.boardToken, generated: false };
  if (config.nodeEnv === 'production') {
    throw new AppError(
      'invalid_input',
      'board_credentials_missing',
      'BOARD_USER and BOARD_PASSWORD (or BOARD_TOKEN): required in production to protect the board; set them',
    );
  }
  return { basic: { user: GENERATED_USER, password: randomBytes(18).toString('base64url') }, generated: true };
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
const same = (given: string, expected: string) => timingSafeEqual(digest(given), digest(expected));

/** Whether an `Authorization` header carries credentials the board accepts. */
export function isAuthorized(header: string | undefined, credentials: BoardCredentials): boolean {
  const match = /^(Basic|Bearer) +(\S+)\s*$/i.exec(header ?? '');
  if (!match) return false;
  const [, scheme = '', value = ''] = match;
  if (scheme.toLowerCase() === 'bearer') return credentials.token !== undefined && same(value, credentials.token);
  if (!credentials.basic) return false;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  // Both halves are always compared, so a wrong user costs the same time as a wrong password.
  const userOk = same(decoded.slice(0, colon), credentials.basic.user);
  const passwordOk = same(decoded.slice(colon + 1), credentials.basic.password);
  return userOk && passwordOk;
}

/** The challenge of a 401: Basic makes browsers ask for a user and password. */
export function challenge(credentials: BoardCredentials): string {
  return credentials.basic ? 'Basic realm="oauth-cc board", charset="UTF-8"' : 'Bearer realm="oauth-cc board"';
}
