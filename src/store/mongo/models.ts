/**
 * Collections of the MongoDB adapter. Values whose keys come from outside (a definition's params and headers, a
 * provider's token response) are kept as JSON text, because MongoDB restricts field names with `.` or a leading `$`.
 */
import { type Connection as MongooseConnection, Schema, type SchemaType, type Types } from 'mongoose';
import {
  CONNECTION_STATUSES,
  type ConnectionEvent,
  type ConnectionStatus,
  type LastError,
  type LastTest,
} from '../../domain/model.js';

export interface ConnectionDoc {
  _id: Types.ObjectId;
  connector: string;
  owner: string;
  uniqueId: string;
  name: string;
  status: ConnectionStatus;
  fields: Record<string, string | number | boolean>;
  secrets: Record<string, string>;
  accessToken: string | null;
  refreshToken: string | null;
  tokenType: string | null;
  scopes: string[];
  /** JSON text of `tokenMeta`. */
  tokenMeta: string;
  /** JSON text of `testValues`. */
  testValues: string;
  expiresAt: Date | null;
  renewAt: Date | null;
  lastTest: LastTest | null;
  lastError: LastError | null;
  createdAt: Date;
  updatedAt: Date;
  version: number;
  /** Events not yet published (the outbox); absent or empty when none. */
  outbox?: ConnectionEvent[];
  /** Set while the outbox holds events, so that the outbox index holds only these documents. */
  outboxPending?: boolean;
  /** End of a publisher's claim on the outbox. */
  outboxClaimedUntil?: Date | null;
  /** Fencing token of that claim; a release must name it. */
  outboxClaim?: string;
}

export interface ConnectorDoc {
  key: string;
  /** Canonical JSON text of the definition; equal text means an equal definition. */
  definition: string;
  version: number;
  updatedAt: Date;
}

// Indexes are created by migrate() (see indexes.ts), not on model compilation; empty objects are kept as written;
// and commands are never buffered (set here too, because models are compiled before the connection's own options
// are known).
const schemaOptions = {
  autoIndex: false,
  autoCreate: false,
  bufferCommands: false,
  minimize: false,
  versionKey: false,
} as const;

/**
 * The guards of PostgreSQL's `NOT NULL`: present and not null. Mongoose's own `required` also refuses '' (and an
 * empty array), which PostgreSQL stores, so the check is replaced on these paths.
 */
function notNull(schema: Schema, paths: readonly string[]): void {
  for (const path of paths) {
    const type = schema.path(path) as SchemaType & { checkRequired: (value: unknown) => boolean };
    type.required(true);
    type.checkRequired = (value) => value !== null && value !== undefined;
  }
}

// Arrays get no implicit [] (`default: undefined`): a missing `scopes` must fail as PostgreSQL's NOT NULL does.
const connectionSchema = new Schema<ConnectionDoc>(
  {
    connector: String,
    owner: String,
    uniqueId: String,
    name: String,
    status: { type: String, enum: CONNECTION_STATUSES },
    fields: Schema.Types.Mixed,
    secrets: Schema.Types.Mixed,
    accessToken: String,
    refreshToken: String,
    tokenType: String,
    scopes: { type: [String], default: undefined },
    tokenMeta: String,
    testValues: String,
    expiresAt: Date,
    renewAt: Date,
    lastTest: Schema.Types.Mixed,
    lastError: Schema.Types.Mixed,
    createdAt: Date,
    updatedAt: Date,
    version: Number,
    outbox: { type: [Schema.Types.Mixed], default: undefined },
    outboxPending: Boolean,
    outboxClaimedUntil: Date,
    outboxClaim: String,
  },
  { ...schemaOptions, collection: 'connections' },
);
// The NOT NULL columns of migrations.ts 002_connections; the others may be null.
notNull(connectionSchema, [
  'connector',
  'owner',
  'uniqueId',
  'name',
  'status',
  'fields',
  'secrets',
  'scopes',
  'tokenMeta',
  'testValues',
  'createdAt',
  'updatedAt',
  'version',
]);
connectionSchema.index({ connector: 1, owner: 1, uniqueId: 1 }, { unique: true, name: 'connections_account' });
// Same role as PostgreSQL's partial index: only active connections are indexed, and a `$lte` date range skips the
// null renewAt of tokens without expiry.
connectionSchema.index(
  { renewAt: 1, _id: 1 },
  { name: 'connections_due', partialFilterExpression: { status: 'active' } },
);
connectionSchema.index({ owner: 1, _id: 1 }, { name: 'connections_owner' });
// Publishers look only at documents with pending events.
connectionSchema.index(
  { outboxClaimedUntil: 1 },
  { name: 'connections_outbox', partialFilterExpression: { outboxPending: true } },
);

const connectorSchema = new Schema<ConnectorDoc>(
  {
    key: String,
    definition: String,
    version: Number,
    updatedAt: Date,
  },
  { ...schemaOptions, collection: 'connectors' },
);
// The NOT NULL columns of migrations.ts 001_connectors.
notNull(connectorSchema, ['key', 'definition', 'version', 'updatedAt']);
connectorSchema.index({ key: 1 }, { unique: true, name: 'connectors_key' });

export function defineModels(connection: MongooseConnection) {
  return {
    Connections: connection.model<ConnectionDoc>('Connection', connectionSchema),
    Connectors: connection.model<ConnectorDoc>('Connector', connectorSchema),
  };
}

export type Models = ReturnType<typeof defineModels>;

/** A compiled model, as far as its schema guards go. */
interface Validating {
  validate(document: object, pathsOrOptions?: string[] | { pathsToSkip: string[] }): Promise<unknown>;
}

/**
 * Checks a whole document before it is inserted, as PostgreSQL's constraints check a row, but for the timestamps the
 * server stamps (`stampedByServer`). Throws mongoose's ValidationError, which names each failing field.
 */
export async function checkInsert(model: Validating, document: object, stampedByServer: string[]): Promise<void> {
  await model.validate(document, { pathsToSkip: stampedByServer });
}

/** Checks the fields an update writes (`$set`), as PostgreSQL checks the columns an UPDATE writes. */
export async function checkSet(model: Validating, set: Record<string, unknown>): Promise<void> {
  const paths = Object.keys(set);
  if (paths.length > 0) await model.validate(set, paths);
}
