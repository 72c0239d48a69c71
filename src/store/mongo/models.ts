/**
 * Collections of the MongoDB adapter. Values whose keys come from outside (a definition's params and headers, a
 * provider's token response) are kept as JSON text, because MongoDB restricts field names with `.` or a leading `$`.
 */
import { type Connection as MongooseConnection, Schema, type Types } from 'mongoose';
import type { ConnectionEvent, ConnectionStatus, LastError, LastTest } from '../../domain/model.js';

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
}

export interface ConnectorDoc {
  key: string;
  /** Canonical JSON text of the definition; equal text means an equal definition. */
  definition: string;
  version: number;
  updatedAt: Date;
}

// Indexes are created by migrate(), not on model compilation; empty objects are kept as written; and commands are
// never buffered (set here too, because models are compiled before the connection's own options are known).
const schemaOptions = {
  autoIndex: false,
  autoCreate: false,
  bufferCommands: false,
  minimize: false,
  versionKey: false,
} as const;

const connectionSchema = new Schema<ConnectionDoc>(
  {
    connector: { type: String, required: true },
    owner: { type: String, required: true },
    uniqueId: { type: String, required: true },
    name: String,
    status: String,
    fields: Schema.Types.Mixed,
    secrets: Schema.Types.Mixed,
    accessToken: String,
    refreshToken: String,
    tokenType: String,
    scopes: [String],
    tokenMeta: String,
    testValues: String,
    expiresAt: Date,
    renewAt: Date,
    lastTest: Schema.Types.Mixed,
    lastError: Schema.Types.Mixed,
    createdAt: Date,
    updatedAt: Date,
    version: Number,
    outbox: [Schema.Types.Mixed],
    outboxPending: Boolean,
    outboxClaimedUntil: Date,
  },
  { ...schemaOptions, collection: 'connections' },
);
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
    key: { type: String, required: true },
    definition: { type: String, required: true },
    version: Number,
    updatedAt: Date,
  },
  { ...schemaOptions, collection: 'connectors' },
);
connectorSchema.index({ key: 1 }, { unique: true, name: 'connectors_key' });

export function defineModels(connection: MongooseConnection) {
  return {
    Connections: connection.model<ConnectionDoc>('Connection', connectionSchema),
    Connectors: connection.model<ConnectorDoc>('Connector', connectorSchema),
  };
}

export type Models = ReturnType<typeof defineModels>;
