/**
 * The secret values an exchange with an OAuth endpoint involves, for scrubbing the endpoint's answer out of error
 * messages: whatever the remote side echoes, none of these may reach a failure reason.
 */
import type { ClientCredentials } from './types.js';

export function secretsOf(
  spec: { credentials: ClientCredentials; knownSecrets?: readonly string[] },
  ...more: Array<string | undefined>
): string[] {
  const { clientSecret, privateKeyPem, certificateKeyPem } = spec.credentials;
  const values = [clientSecret, privateKeyPem, certificateKeyPem, ...(spec.knownSecrets ?? []), ...more];
  return values.filter((value): value is string => typeof value === 'string' && value !== '');
}
