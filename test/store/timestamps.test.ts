import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTimestamptz } from '../../src/store/postgres/timestamps.js';

const general = pg.types.getTypeParser(1184, 'text') as (text: string) => unknown;
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A timestamp as PostgreSQL writes it with DateStyle ISO: optional fraction, offset of hours and maybe minutes. */
const isoText = fc
  .record({
    year: fc.integer({ min: 0, max: 12000 }),
    month: fc.integer({ min: 1, max: 12 }),
    day: fc.integer({ min: 1, max: 28 }),
    hour: fc.integer({ min: 0, max: 23 }),
    minute: fc.integer({ min: 0, max: 59 }),
    second: fc.integer({ min: 0, max: 59 }),
    fraction: fc.option(fc.stringMatching(/^[0-9]{1,6}$/), { nil: undefined }),
    offset: fc.constantFrom('+00', '-08', '+05:30', '-03:30', '+14', '+05:30:15'),
    bc: fc.boolean(),
  })
  .map(
    (t) =>
      `${String(t.year).padStart(4, '0')}-${String(t.month).padStart(2, '0')}-${String(t.day).padStart(2, '0')} ` +
      `${String(t.hour).padStart(2, '0')}:${String(t.minute).padStart(2, '0')}:${String(t.second).padStart(2, '0')}` +
      `${t.fraction === undefined ? '' : `.${t.fraction}`}${t.offset}${t.bc ? ' BC' : ''}`,
  );

const same = (text: string) => {
  const ours = parseTimestamptz(text);
  const theirs = general(text);
  expect(ours instanceof Date ? ours.getTime() : ours).toEqual(theirs instanceof Date ? theirs.getTime() : theirs);
};

describe('reading timestamptz', () => {
  it('when PostgreSQL writes any ISO timestamp (fractions, offsets, BC, early and late years), it reads as postgres-date reads it', () => {
    fc.assert(
      fc.property(isoText, (text) => same(text)),
      { numRuns: 2000 },
    );
    for (const text of [
      'infinity',
      '-infinity',
      '2026-12-07 12:04:40+00',
      '2026-12-07 12:04:40.5+00',
      '2026-12-07 12:04:40.123456+00',
      '0099-01-01 00:00:00+00',
      '0100-01-01 00:00:00+00',
      '12026-12-07 12:04:40+00',
      '2026-12-07 12:04:40.123456-07:00',
      '2026-12-07 12:04:40x+00',
    ])
      same(text);
  });

  describe('against PostgreSQL', () => {
    const client = new pg.Client({ connectionString: DATABASE_URL });
    beforeAll(() => client.connect());
    afterAll(() => client.end());

    it('when the session has another time zone, a stored instant reads as the same instant', async () => {
      for (const zone of ['UTC', 'Asia/Kolkata', 'America/St_Johns', 'Pacific/Kiritimati']) {
        await client.query(`SET TIME ZONE '${zone}'`);
        const { rows } = await client.query<{ text: string }>(
          `SELECT t::text AS text FROM unnest(ARRAY['2026-12-07T12:04:40.123456Z', '1969-07-20T20:17:40Z',
            '2000-02-29T23:59:59.999Z']::timestamptz[]) AS t`,
        );
        const read = rows.map((row) => (parseTimestamptz(row.text) as Date).toISOString());
        expect(read).toEqual(['2026-12-07T12:04:40.123Z', '1969-07-20T20:17:40.000Z', '2000-02-29T23:59:59.999Z']);
      }
    });
  });
});
