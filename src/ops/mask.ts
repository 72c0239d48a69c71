/**
 * What the board shows of a job. Job data may hold secrets in clear when another producer enqueued them (the
 * worker seals them on pickup, but a waiting or delayed job still holds them), and a secret field need not have a
 * secret-looking name: the connector definition says which fields are secret. So job data is masked twice: every
 * secret-looking key and sealed value (`maskSecretsDeep`), then the `fields` of a connect job by its definition.
 */
import { secretFieldKeys } from '../definitions/fields.js';
import { maskSecretsDeep } from '../log.js';
import type { Store } from '../store/port.js';

const REDACTED = '[redacted]';

/** Secret field keys of a connector, or undefined when the connector is not known (yet). */
export type SecretFieldsOf = (connector: string) => readonly string[] | undefined;

/**
 * `data` with secrets hidden. The fields of a connect job for an unknown connector are all hidden: which of them
 * are secret cannot be told, and showing less is the safe mistake.
 */
export function maskJobData(data: unknown, secretFieldsOf: SecretFieldsOf): unknown {
  const masked = maskSecretsDeep(data);
  if (!isRecord(masked) || !isRecord(masked.fields) || typeof masked.connector !== 'string') return masked;
  const secretKeys = secretFieldsOf(masked.connector);
  const fields = Object.fromEntries(
    Object.entries(masked.fields).map(([key, value]) => {
      const secret = secretKeys === undefined || secretKeys.includes(key);
      // maskSecretsDeep already turned sealed values into "[sealed]": keep it, it tells that sealing worked.
      return [key, secret && value !== '[sealed]' && value !== null ? REDACTED : value];
    }),
  );
  return { ...masked, fields };
}

/** Return values and progress: anything under a secret-looking key (an echoed Authorization header, say). */
export const maskJobValue = (value: unknown): unknown => maskSecretsDeep(value);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The secret field keys of every stored connector, read from the store. Bull Board's formatters are synchronous,
 * so the board calls `refresh()` before serving its API (at most once per `maxAgeMs`) and the formatter reads the
 * last copy.
 */
export class ConnectorSecretFields {
  private keys = new Map<string, readonly string[]>();
  private readAt = 0;
  private reading: Promise<void> | null = null;

  /** @param maxAgeMs how old the copy may be before `refresh()` reads again. @default 5000 */
  constructor(
    private readonly store: Store,
    private readonly maxAgeMs = 5000,
  ) {}

  readonly lookup: SecretFieldsOf = (connector) => this.keys.get(connector);

  /** Reads the connectors again when the copy is older than `maxAgeMs`; concurrent callers share one read. */
  async refresh(): Promise<void> {
    if (Date.now() - this.readAt < this.maxAgeMs) return;
    this.reading ??= this.store.connectors
      .list()
      .then((connectors) => {
        this.keys = new Map(connectors.map(({ definition }) => [definition.key, secretFieldKeys(definition)]));
        this.readAt = Date.now();
      })
      .finally(() => {
        this.reading = null;
      });
    await this.reading;
  }
}
