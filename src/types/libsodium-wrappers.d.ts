/**
 * The part of libsodium-wrappers the transport keys use. Declared here as well as shipped by the package so that the
 * type check does not depend on the package: it is loaded only by processes that seal or open transport envelopes.
 */
declare module 'libsodium-wrappers' {
  const sodium: {
    ready: Promise<void>;
    crypto_box_seal(message: Uint8Array, publicKey: Uint8Array): Uint8Array;
    crypto_box_seal_open(ciphertext: Uint8Array, publicKey: Uint8Array, privateKey: Uint8Array): Uint8Array;
  };
  export default sodium;
}
