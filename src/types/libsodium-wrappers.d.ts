/**
 * The part of libsodium-wrappers the key ring (XChaCha20-Poly1305) and the transport keys (sealed boxes) use, declared
 * here so that the type check names exactly what the project relies on.
 */
declare module 'libsodium-wrappers' {
  const sodium: {
    ready: Promise<void>;
    crypto_box_seal(message: Uint8Array, publicKey: Uint8Array): Uint8Array;
    crypto_box_seal_open(ciphertext: Uint8Array, publicKey: Uint8Array, privateKey: Uint8Array): Uint8Array;
    crypto_aead_xchacha20poly1305_ietf_encrypt(
      message: Uint8Array | string,
      additionalData: Uint8Array | string | null,
      secretNonce: null,
      publicNonce: Uint8Array,
      key: Uint8Array,
    ): Uint8Array;
    crypto_aead_xchacha20poly1305_ietf_decrypt(
      secretNonce: null,
      ciphertext: Uint8Array,
      additionalData: Uint8Array | string | null,
      publicNonce: Uint8Array,
      key: Uint8Array,
      outputFormat: 'text',
    ): string;
  };
  export default sodium;
}
