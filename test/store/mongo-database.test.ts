/** Which database the MongoDB store uses: the URL's path, DATABASE_SCHEMA only when set. No server needed. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { databaseInUrl, databaseName } from '../../src/store/mongo/database-name.js';

describe('MongoDB database name', () => {
  it.each([
    ['mongodb://mongo:27017/oauth_cc', 'oauth_cc'],
    ['mongodb://user:p%2Fss@mongo:27017/oauth_cc?authSource=admin', 'oauth_cc'],
    ['mongodb://a:27017,b:27017,c:27017/oauth_cc?replicaSet=rs0', 'oauth_cc'],
    ['mongodb+srv://cluster0.example.test/connectors', 'connectors'],
    ['mongodb://mongo:27017/my%2Ddb', 'my-db'],
    ['mongodb://mongo:27017/', undefined],
    ['mongodb://mongo:27017', undefined],
    ['mongodb://mongo:27017/?replicaSet=rs0', undefined],
    ['mongodb://mongo:27017?w=majority', undefined],
  ])('the database in %j is %j', (url, name) => {
    expect(databaseInUrl(url)).toBe(name);
  });

  it('when DATABASE_SCHEMA is unset (the configuration has no default for it), the URL names the database', () => {
    const config = loadConfig({ DATABASE_URL: 'mongodb://mongo:27017/oauth_cc' });
    expect(config.databaseSchema).toBeUndefined();
    expect(databaseName(config.databaseUrl, config.databaseSchema)).toBe('oauth_cc');
  });

  it('when DATABASE_SCHEMA is set, it overrides the URL', () => {
    const config = loadConfig({ DATABASE_URL: 'mongodb://mongo:27017/oauth_cc', DATABASE_SCHEMA: 'tenant_a' });
    expect(databaseName(config.databaseUrl, config.databaseSchema)).toBe('tenant_a');
  });

  it('when neither names a database, it fails naming DATABASE_URL and the fix', () => {
    expect(() => databaseName('mongodb://mongo:27017/?replicaSet=rs0', undefined)).toThrow(
      expect.objectContaining({
        code: 'invalid_config',
        message: expect.stringMatching(/^DATABASE_URL: name the MongoDB database in the path.*or set DATABASE_SCHEMA/),
      }),
    );
  });

  it('when the URL names a database MongoDB refuses, it fails without echoing the URL', () => {
    expect(() => databaseName('mongodb://user:hunter2@mongo/a.b', undefined)).toThrow(
      expect.objectContaining({ code: 'invalid_config', message: expect.not.stringContaining('hunter2') }),
    );
  });
});
