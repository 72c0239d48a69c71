import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AppError } from '../src/errors.js';
import { createLogger, maskSecretsDeep } from '../src/log.js';

function capture(level = 'trace') {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { log: createLogger({ level, destination }), lines };
}

/** Every secret-bearing field name, each with a value unique enough to be found in the output. */
const SECRET_FIELDS = [
  'client_secret',
  'clientSecret',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'private_key',
  'client_private_key',
  'privateKey',
  'password',
  'token',
  'assertion',
  'client_assertion',
  'authorization',
  'Authorization',
  'x-api-key',
  'api_key',
  'cookie',
  'encryptionKeys',
  'webhookSecret',
  'boardToken',
];
const secretOf = (field: string) => `SECRET-VALUE-OF-${field}-${Math.random().toString(36).slice(2)}`;

describe('createLogger', () => {
  it('when secret-bearing fields are logged at top level or nested at any depth, none of their values is written', () => {
    const { log, lines } = capture();
    const values: string[] = [];
    for (const field of SECRET_FIELDS) {
      const at = (depth: string) => {
        const value = secretOf(`${field}@${depth}`);
        values.push(value);
        return { [field]: value };
      };
      log.info(at('top'), 'top level');
      log.info({ job: { data: at('one') } }, 'one level');
      log.info({ req: { headers: at('headers') }, fields: at('fields') }, 'headers and fields');
      log.info({ a: { b: { c: { d: at('four') } } }, list: [at('array')] }, 'deep');
    }
    log.info({ secrets: { client_secret: 'S1', api_key: 'S2' }, connection: { secrets: { password: 'S3' } } }, 'maps');
    log.info({ tokenType: 'Bearer', expiresAt: '2030-01-01' }, 'kept');

    const output = lines.join('');
    for (const value of [...values, 'S1', 'S2', 'S3']) expect(output).not.toContain(value);
    expect(output).toContain('[redacted]');
    // Non-secret neighbours survive: the logger hides exact secret field names, not everything token-ish.
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ tokenType: 'Bearer', expiresAt: '2030-01-01', msg: 'kept' });
  });

  it('when a child logger is bound to secrets, or an error carries them, they are not written', () => {
    const { log, lines } = capture();
    log.child({ connection: { accessToken: 'CHILD-SECRET' } }).info('from child');
    log.child({ job: 'j1' }).child({ client_secret: 'GRANDCHILD-SECRET' }).info('from grandchild');
    const error = Object.assign(new AppError('transient', 'timeout', 'token endpoint timed out'), {
      request: { headers: { authorization: 'Basic ERROR-SECRET' } },
    });
    log.error({ err: error }, 'failed');
    const output = lines.join('');
    expect(output).not.toContain('CHILD-SECRET');
    expect(output).not.toContain('GRANDCHILD-SECRET');
    expect(output).not.toContain('ERROR-SECRET');
    expect(JSON.parse(lines[1]!)).toMatchObject({ job: 'j1', client_secret: '[redacted]' });
    expect(JSON.parse(lines[2]!).err).toMatchObject({
      type: 'AppError',
      message: 'token endpoint timed out',
      code: 'timeout',
    });
  });

  it('when the level is silent, nothing is written', () => {
    const { log, lines } = capture('silent');
    log.error('nope');
    expect(lines).toEqual([]);
  });
});

describe('maskSecretsDeep', () => {
  it('when keys look secret, their values are replaced, and sealed values anywhere become [sealed]', () => {
    const input = {
      id: 'c1',
      fields: { client_id: 'public-id', client_secret: 'shh', region: 'eu' },
      pickedUp: { client_secret: `sealed:v3:k1:${'A'.repeat(32)}:AAAAAAAAAAAAAAAAAAAAAA` },
      secrets: { client_secret: 'sealed:v1:k1:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA' },
      accessToken: null,
      tokenMeta: { id_token: 'x' },
      headers: { Authorization: 'Bearer x', 'X-Api-Key': 'k', Accept: 'json' },
      items: [
        { privateKeyPem: 'pem' },
        'sealed:v1:k2:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA',
        'sealed:v2:k2:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA',
        `sealed:v3:k2:${'A'.repeat(32)}:AAAAAAAAAAAAAAAAAAAAAA`,
        'transport:v1:t1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
        3,
      ],
      when: new Date(0),
    };
    const masked = maskSecretsDeep(input);
    expect(masked).toEqual({
      id: 'c1',
      fields: { client_id: 'public-id', client_secret: '[redacted]', region: 'eu' },
      // Sealed under a secret key: shown as sealed, which tells that the pickup sealed it.
      pickedUp: { client_secret: '[sealed]' },
      secrets: '[redacted]',
      accessToken: null,
      tokenMeta: '[redacted]',
      headers: { Authorization: '[redacted]', 'X-Api-Key': '[redacted]', Accept: 'json' },
      items: [{ privateKeyPem: '[redacted]' }, '[sealed]', '[sealed]', '[sealed]', '[sealed]', 3],
      when: new Date(0),
    });
    expect(input.fields.client_secret).toBe('shh');
    expect(masked).not.toBe(input);
  });

  it('when given its own key pattern, only those keys are hidden; cycles do not loop', () => {
    const input: Record<string, unknown> = { pin: '1234', token: 't' };
    input.self = input;
    expect(maskSecretsDeep(input, /^pin$/)).toEqual({ pin: '[redacted]', token: 't', self: '[circular]' });
  });
});
