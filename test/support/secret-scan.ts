/**
 * Secret scans: everything a system wrote (Redis keys and values, stored rows, logs, board answers) searched for
 * every secret and token, in every form a leak could take.
 */
import type { Cluster, Redis } from 'ioredis';
import pg from 'pg';
import { keysMatching } from './scan.js';

/** The forms a secret could leak in: clear, base64 (standard and URL-safe), URL-encoded and form-encoded. */
export function leakForms(secret: string): string[] {
  const base64 = Buffer.from(secret).toString('base64');
  return [
    ...new Set([
      secret,
      base64,
      base64.replace(/=+$/, ''),
      Buffer.from(secret).toString('base64url'),
      encodeURIComponent(secret),
      new URLSearchParams({ s: secret }).toString().slice(2),
    ]),
  ];
}

/** Every key under `<prefix>:` and its whole value, whatever its type, as text. */
export async function dumpRedis(redis: Redis | Cluster, prefix: string): Promise<string> {
  const out: string[] = [];
  for (const key of await keysMatching(redis, `${prefix}:*`)) {
    const type = await redis.type(key);
    out.push(key);
    if (type === 'string') out.push(String(await redis.get(key)));
    else if (type === 'hash') out.push(JSON.stringify(await redis.hgetall(key)));
    else if (type === 'list') out.push(JSON.stringify(await redis.lrange(key, 0, -1)));
    else if (type === 'zset') out.push(JSON.stringify(await redis.zrange(key, '0', '-1', 'WITHSCORES')));
    else if (type === 'set') out.push(JSON.stringify(await redis.smembers(key)));
    else if (type === 'stream') out.push(JSON.stringify(await redis.xrange(key, '-', '+')));
    else out.push(`(unread type ${type})`);
  }
  return out.join('\n');
}

/** Every row of every table of a PostgreSQL schema, as JSON text. */
export async function dumpSchema(databaseUrl: string, schema: string): Promise<string> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const tables = await db.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1',
      [schema],
    );
    const out: string[] = [];
    for (const { table_name } of tables.rows) {
      const rows = await db.query(`SELECT * FROM ${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(table_name)}`);
      out.push(table_name, JSON.stringify(rows.rows));
    }
    return out.join('\n');
  } finally {
    await db.end();
  }
}

/** `where: secret…` for each secret found in a haystack, in any of its forms. Empty when nothing leaked. */
export function findLeaks(haystacks: Record<string, string>, secrets: string[]): string[] {
  const hits: string[] = [];
  for (const secret of secrets) {
    for (const form of leakForms(secret)) {
      for (const [where, text] of Object.entries(haystacks)) {
        if (text.includes(form)) hits.push(`${where}: ${form.slice(0, 6)}… (a form of ${secret.slice(0, 4)}…)`);
      }
    }
  }
  return hits;
}
