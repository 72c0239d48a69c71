/** `oauth-cc connections …`: look at stored connections, never at their secrets. */

import { CONNECTION_STATUSES, type Connection, type ConnectionStatus } from '../domain/model.js';
import { notFound } from '../errors.js';
import { maskSecretsDeep } from '../log.js';
import { type Command, positiveIntegerOption, UsageError } from './command.js';
import { withStore } from './context.js';
import { formatTable } from './table.js';

const SEALED = '[sealed]';

/**
 * A connection as the CLI shows it. Secret values and tokens are replaced whatever they hold (a value that is not
 * sealed, by some bug, must not be shown either); the free-form parts go through `maskSecretsDeep`, which hides
 * secret-looking keys and any sealed value, at any depth.
 */
export function maskConnection(connection: Connection): Record<string, unknown> {
  const sealed = (value: string | null) => (value === null ? null : SEALED);
  return {
    ...connection,
    fields: maskSecretsDeep(connection.fields),
    secrets: Object.fromEntries(Object.keys(connection.secrets).map((name) => [name, SEALED])),
    accessToken: sealed(connection.accessToken),
    refreshToken: sealed(connection.refreshToken),
    tokenMeta: maskSecretsDeep(connection.tokenMeta),
    testValues: maskSecretsDeep(connection.testValues),
  };
}

function statusOption(command: Command, value: string | undefined): ConnectionStatus | undefined {
  if (value === undefined) return undefined;
  const status = CONNECTION_STATUSES.find((known) => known === value);
  if (status === undefined) throw new UsageError(`--status: must be one of ${CONNECTION_STATUSES.join(', ')}`, command);
  return status;
}

const list: Command = {
  name: 'connections list',
  args: [],
  summary: 'List connections (by id, one page at a time)',
  options: {
    owner: { value: 'OWNER', description: 'only the connections of this owner (tenant or workspace)' },
    connector: { value: 'KEY', description: 'only the connections of this connector' },
    status: { value: 'STATUS', description: `only connections in this status (${CONNECTION_STATUSES.join(', ')})` },
    limit: { value: 'N', description: 'show at most N connections (default 100, at most 1000)' },
    after: { value: 'CURSOR', description: 'continue after the cursor printed by the previous page' },
  },
  async run({ options }, output) {
    const filter = {
      owner: options.owner,
      connector: options.connector,
      status: statusOption(list, options.status),
    };
    const page = { limit: positiveIntegerOption(list, 'limit', options.limit), after: options.after };
    const { items, next } = await withStore(({ store }) => store.connections.list(filter, page));
    if (items.length === 0) output.err('No connections match.');
    else {
      const headers = ['ID', 'CONNECTOR', 'OWNER', 'NAME', 'STATUS', 'EXPIRES_AT', 'RENEW_AT'];
      const rows = items.map((c) => [c.id, c.connector, c.owner, c.name, c.status, c.expiresAt, c.renewAt]);
      for (const line of formatTable(headers, rows)) output.out(line);
    }
    if (next !== null) output.err(`More connections: run again with --after ${next}`);
    return 0;
  },
};

const show: Command = {
  name: 'connections show',
  args: ['<id>'],
  summary: 'Print one connection as JSON, secrets and tokens masked',
  async run({ positionals: [id = ''] }, output) {
    const connection = await withStore(({ store }) => store.connections.get(id));
    if (!connection) throw notFound(`connection "${id}"`);
    output.out(JSON.stringify(maskConnection(connection), null, 2));
    return 0;
  },
};

export const connectionCommands: Command[] = [list, show];
