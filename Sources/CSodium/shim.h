#ifndef MPC_CSODIUM_SHIM_H
#define MPC_CSODIUM_SHIM_H
#include <sodium.h>

/* crypto_generichash_state is 64-byte aligned and does not import into Swift: pass it as
   an opaque pointer to memory of crypto_generichash_statebytes() bytes, aligned to 64. */
static inline int mpc_generichash_init(void *state, const unsigned char *key, size_t keylen,
                                       size_t outlen) {
  return crypto_generichash_init((crypto_generichash_state *)state, key, keylen, outlen);
}
static inline int mpc_generichash_update(void *state, const unsigned char *in,
                                         unsigned long long inlen) {
  return crypto_generichash_update((crypto_generichash_state *)state, in, inlen);
}
static inline int mpc_generichash_final(void *state, unsigned char *out, size_t outlen) {
  return crypto_generichash_final((crypto_generichash_state *)state, out, outlen);
}
#endif
