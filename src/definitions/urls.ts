/** URL rules shared by definition validation and rendering. */

/** `localhost`, 127.0.0.0/8 and `[::1]`: the only hosts plain `http:` may reach. */
export function isLoopbackHostname(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/** `https:`, or `http:` to a loopback host. */
export function isSecureUrl(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHostname(url.hostname));
}

/** The fix to show when `isSecureUrl` says no. */
export const SECURE_URL_HINT = 'use https: (plain http: is allowed only for localhost, 127.0.0.0/8 and [::1])';
