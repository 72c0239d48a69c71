/** URL rules shared by definition validation and rendering. */
import { isLoopbackHost } from '../http/guard.js';

/** `https:`, or `http:` to a loopback host. */
export function isSecureUrl(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
}

/** The fix to show when `isSecureUrl` says no. */
export const SECURE_URL_HINT = 'use https: (plain http: is allowed only for localhost, 127.0.0.0/8 and [::1])';
