/**
 * The field values of a `connect` job, as producers send them: in clear, sealed with the worker's public key
 * (`transport:v1:…`, bound to connector and field), or sealed with the at-rest ring (by the worker on pickup, or by a
 * producer still given ENCRYPTION_KEYS), bound to the same place. Sealed values open only in the connector's secret
 * fields and only for the place they were sealed for; anywhere else they fail with `invalid_sealed_value` before
 * anything is sent or stored.
 */
import type { FieldValue } from '../domain/model.js';
import { AppError } from '../errors.js';
import { jobFieldPlace } from '../secrets/places.js';
import { isTransportSealed, type JobPlace } from '../secrets/transport.js';
import type { Services } from './services.js';

type Keys = Pick<Services, 'keys' | 'transportKeys'>;

async function openTransport(services: Keys, value: string, place: JobPlace): Promise<string> {
  if (!services.transportKeys) {
    throw new AppError(
      'permanent',
      'invalid_sealed_value',
      `fields.${place.field}: sealed with a transport public key, but this worker has no TRANSPORT_PRIVATE_KEYS; set it to the ring whose public key producers use`,
    );
  }
  return services.transportKeys.open(value, place);
}

const isSealedValue = (services: Keys, value: unknown): value is string =>
  isTransportSealed(value) || services.keys.isSealed(value);

/**
 * The job's fields with every sealed value opened. Only the connector's secret fields may hold sealed values: a sealed
 * value elsewhere is refused, since opening it would put a secret where it may be sent anywhere or shown.
 */
export async function openJobFields(
  services: Keys,
  connector: string,
  secretKeys: readonly string[],
  fields: Record<string, FieldValue>,
): Promise<Record<string, FieldValue>> {
  const opened: Record<string, FieldValue> = {};
  for (const [field, value] of Object.entries(fields)) {
    if (!isSealedValue(services, value)) opened[field] = value;
    else if (!secretKeys.includes(field)) {
      throw new AppError(
        'permanent',
        'invalid_sealed_value',
        `fields.${field}: connector "${connector}" does not declare this field secret, so a sealed value is refused here; send it in clear`,
      );
    } else if (isTransportSealed(value)) opened[field] = await openTransport(services, value, { connector, field });
    else opened[field] = services.keys.open(value, jobFieldPlace(connector, field));
  }
  return opened;
}

/**
 * What the worker writes over a job's fields on pickup, so that Redis holds no secret in clear and no transport
 * envelope longer than needed: secret fields sealed with the at-rest ring for their place, and values sealed for
 * a non-secret field (a producer that could not tell which fields are secret seals them all) opened, since they
 * are no secret. `secretKeys` null (unknown connector): every field counts as secret. Null when nothing changes.
 */
export async function sealJobFields(
  services: Keys,
  connector: string,
  secretKeys: readonly string[] | null,
  fields: Record<string, unknown>,
): Promise<Record<string, unknown> | null> {
  let changed = false;
  const sealed: Record<string, unknown> = { ...fields };
  for (const [field, value] of Object.entries(fields)) {
    const secret = secretKeys === null || secretKeys.includes(field);
    const place = jobFieldPlace(connector, field);
    let clear: string | null = null;
    if (isTransportSealed(value)) clear = await openTransport(services, value, { connector, field });
    else if (!secret && services.keys.isSealed(value) && !services.keys.isLegacy(value))
      clear = services.keys.open(value, place);
    else if (secret && typeof value === 'string' && !services.keys.isSealed(value)) clear = value;
    if (clear === null) continue;
    sealed[field] = secret ? services.keys.seal(clear, place) : clear;
    changed = true;
  }
  return changed ? sealed : null;
}
