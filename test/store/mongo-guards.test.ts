/**
 * The same inputs through both adapters' guards: PostgreSQL's constraints (a real database) and the MongoDB
 * adapter's schema checks on the very documents it would send (no server needed). Each must accept and refuse alike.
 */
import mongoose, { Types } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionInput, ConnectionPatch } from '../../src/domain/model.js';
import { insertCommand, insertedDocument, updateCommand } from '../../src/store/mongo/connection-commands.js';
import { checkInsert, checkSet, defineModels } from '../../src/store/mongo/models.js';
import type { Store } from '../../src/store/port.js';
import { createPostgresStore } from '../../src/store/postgres/index.js';
import { connectionInput, POSTGRES_URL, throwawaySchema } from './fixtures.js';

const { Connections } = defineModels(mongoose.createConnection());

const outcome = (promise: Promise<unknown>) =>
  promise.then(
    () => 'accepted',
    () => 'refused',
  );

const inputs: Array<[string, Partial<Record<keyof ConnectionInput, unknown>>, 'accepted' | 'refused']> = [
  ['a complete input', {}, 'accepted'],
  ['empty strings and no scopes', { name: '', uniqueId: '', scopes: [] }, 'accepted'],
  ['the nullable fields null', { accessToken: null, tokenType: null, renewAt: null, lastTest: null }, 'accepted'],
  ['another status', { status: 'revoking' }, 'accepted'],
  ['an unknown status', { status: 'bogus' }, 'refused'],
  ['no name', { name: null }, 'refused'],
  ['no owner', { owner: undefined }, 'refused'],
  ['no fields', { fields: null }, 'refused'],
  ['no scopes', { scopes: null }, 'refused'],
  ['no token meta', { tokenMeta: null }, 'refused'],
  ['no test values', { testValues: undefined }, 'refused'],
];

const patches: Array<[string, Record<string, unknown>, 'accepted' | 'refused']> = [
  ['an empty patch', {}, 'accepted'],
  ['an empty name', { name: '' }, 'accepted'],
  ['nulls where allowed', { refreshToken: null, renewAt: null, lastError: null }, 'accepted'],
  ['an unknown status', { status: 'bogus' }, 'refused'],
  ['a null name', { name: null }, 'refused'],
  ['null scopes', { scopes: null }, 'refused'],
  ['null secrets', { secrets: null }, 'refused'],
  ['null test values', { testValues: null }, 'refused'],
];

describe('schema guards: PostgreSQL and the MongoDB adapter decide alike', () => {
  const schema = throwawaySchema('store_guards');
  let store: Store;

  beforeAll(async () => {
    store = createPostgresStore({ url: POSTGRES_URL, schema: schema.name, poolSize: 2 });
    await store.migrate();
  });

  afterAll(async () => {
    await store?.close();
    await schema.drop();
  });

  it.each(inputs)('insert of %s: %s', async (_, overrides, expected) => {
    const input = { ...connectionInput(), ...overrides } as ConnectionInput;
    const document = insertedDocument(insertCommand(new Types.ObjectId(), input, []));
    const [postgres, mongo] = await Promise.all([
      outcome(store.connections.upsert(input)),
      outcome(checkInsert(Connections, document, ['createdAt', 'updatedAt'])),
    ]);
    expect({ postgres, mongo }).toEqual({ postgres: expected, mongo: expected });
  });

  it.each(patches)('update with %s: %s', async (_, patch, expected) => {
    const { connection } = await store.connections.upsert(connectionInput());
    const { update } = updateCommand(new Types.ObjectId(), 1, patch as ConnectionPatch, []);
    const [postgres, mongo] = await Promise.all([
      outcome(store.connections.update(connection.id, 1, patch as ConnectionPatch)),
      outcome(checkSet(Connections, update.$set as Record<string, unknown>)),
    ]);
    expect({ postgres, mongo }).toEqual({ postgres: expected, mongo: expected });
  });
});
