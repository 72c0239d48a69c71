/**
 * libsodium (WebAssembly), ready once this module is imported. Its functions are synchronous after `ready`, and the
 * key ring opens values on the call path, where a promise per open would cost more than the open itself.
 */
import sodium from 'libsodium-wrappers';

await sodium.ready;

export { sodium };
