import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { boardCredentials, isAuthorized } from '../../src/ops/auth.js';

// Production requires a database; which one does not matter here.
const DATABASE_URL = 'postgres://db.internal/oauth';
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('board credentials', () => {
  it('when production has no board credentials, it refuses naming the variables to set', () => {
    const config = loadConfig({ NODE_ENV: 'production', DATABASE_URL });
    expect(() => boardCredentials(config)).toThrow(
      /BOARD_USER and BOARD_PASSWORD \(or BOARD_TOKEN\): required in production/,
    );
  });

  it('when production has only a token, only that token is accepted', () => {
    const credentials = boardCredentials(loadConfig({ NODE_ENV: 'production', DATABASE_URL, BOARD_TOKEN: 't0k' }));
    expect(isAuthorized('Bearer t0k', credentials)).toBe(true);
    expect(isAuthorized(basic('admin', 't0k'), credentials)).toBe(false);
  });

  it('when development has none, it generates a fresh strong password for "admin" each start', () => {
    const config = loadConfig({ NODE_ENV: 'development' });
    const first = boardCredentials(config);
    const second = boardCredentials(config);
    expect(first.generated).toBe(true);
    expect(first.basic?.user).toBe('admin');
    expect(first.basic?.password).toMatch(/^[\w-]{24}$/);
    expect(second.basic?.password).not.toBe(first.basic?.password);
    expect(isAuthorized(basic('admin', first.basic?.password ?? ''), first)).toBe(true);
  });

  it('when a password contains a colon or non-ASCII, Basic still matches it exactly', () => {
    const credentials = boardCredentials(loadConfig({ BOARD_USER: 'ops', BOARD_PASSWORD: 'a:b:ç' }));
    expect(isAuthorized(basic('ops', 'a:b:ç'), credentials)).toBe(true);
    expect(isAuthorized(basic('ops', 'a:b'), credentials)).toBe(false);
    expect(isAuthorized(basic('op', 's:a:b:ç'), credentials)).toBe(false);
    expect(isAuthorized(undefined, credentials)).toBe(false);
    expect(isAuthorized('Digest abc', credentials)).toBe(false);
  });
});
