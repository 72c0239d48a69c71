import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { loadKeyRing } from '../../src/secrets/dev-key.js';
import { KeyRing } from '../../src/secrets/keyring.js';
import { secretPlace } from '../../src/secrets/places.js';

const PLACE = secretPlace('connection-1', 'client_secret');

const run = promisify(execFile);
const freshFile = () => join(mkdtempSync(join(tmpdir(), 'oauth-cc-dev-key-')), '.dev-keys');

/** A logger that keeps its lines, parsed. */
function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { log: createLogger({ level: 'info', destination }), lines };
}

describe('loadKeyRing', () => {
  it('when ENCRYPTION_KEYS is set, it uses those keys and writes no file', () => {
    const devKeyFile = freshFile();
    const spec = KeyRing.generateKey('prod1');
    const { log, lines } = capturingLogger();
    const keys = loadKeyRing({ encryptionKeys: spec, nodeEnv: 'production', devKeyFile }, log);
    expect(keys.currentKeyId).toBe('prod1');
    expect(() => statSync(devKeyFile)).toThrow(/ENOENT/);
    expect(lines).toEqual([]);
  });

  it('when ENCRYPTION_KEYS is missing outside production, it creates a private dev key file once, reuses it, and warns', () => {
    const devKeyFile = freshFile();
    const { log, lines } = capturingLogger();
    const first = loadKeyRing({ nodeEnv: 'development', devKeyFile }, log);
    const content = readFileSync(devKeyFile, 'utf8');
    expect(statSync(devKeyFile).mode & 0o777).toBe(0o600);
    const sealed = first.seal('kept across restarts', PLACE);

    const second = loadKeyRing({ nodeEnv: 'test', devKeyFile }, log);
    expect(readFileSync(devKeyFile, 'utf8')).toBe(content);
    expect(second.open(sealed, PLACE)).toBe('kept across restarts');

    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line.level).toBe(40);
      expect(line.msg).toMatch(/DEVELOPMENT-ONLY/);
      expect(line.msg).toMatch(/set ENCRYPTION_KEYS/);
      expect(JSON.stringify(line)).not.toContain(content.split(':')[1]!.trim());
    }
  });

  it('when ENCRYPTION_KEYS is missing in production, it refuses, naming ENCRYPTION_KEYS and the command to create a key', () => {
    const devKeyFile = freshFile();
    const { log } = capturingLogger();
    expect(() => loadKeyRing({ nodeEnv: 'production', devKeyFile }, log)).toThrow(
      expect.objectContaining({
        code: 'invalid_config',
        message: expect.stringMatching(/^ENCRYPTION_KEYS: required in production.*oauth-cc keys generate/),
      }),
    );
    expect(() => statSync(devKeyFile)).toThrow(/ENOENT/);
  });

  it('when the dev key file is damaged, it says which file and how to start over', () => {
    const devKeyFile = freshFile();
    writeFileSync(devKeyFile, 'dev:tooshort\n');
    const { log } = capturingLogger();
    expect(() => loadKeyRing({ nodeEnv: 'development', devKeyFile }, log)).toThrow(
      new RegExp(`^DEV_KEY_FILE ${devKeyFile}: .*delete the file`),
    );
  });

  it('when several processes start at once without a key file, they all end up with the same key', async () => {
    const devKeyFile = freshFile();
    const script = `
      import { loadKeyRing } from './src/secrets/dev-key.ts';
      const keys = loadKeyRing({ nodeEnv: 'development', devKeyFile: ${JSON.stringify(devKeyFile)} }, { warn() {} });
      process.stdout.write(keys.seal('from ' + process.pid, ${JSON.stringify(PLACE)}));`;
    const sealed = await Promise.all(
      Array.from({ length: 6 }, () =>
        run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: process.cwd() }),
      ),
    );
    const keys = loadKeyRing({ nodeEnv: 'development', devKeyFile }, capturingLogger().log);
    for (const { stdout } of sealed) expect(keys.open(stdout, PLACE)).toMatch(/^from \d+$/);
  });
});
