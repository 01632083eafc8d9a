#ifndef MPC_CGMP_SHIM_H
#define MPC_CGMP_SHIM_H

#include <stdlib.h>
#include <string.h>
#include <gmp.h>

/* GMP defines these as macros, which Swift does not import. */
static inline int mpc_mpz_sgn(const mpz_t z) { return mpz_sgn(z); }
static inline int mpc_mpq_sgn(const mpq_t q) { return mpq_sgn(q); }
static inline int mpc_mpz_cmp_si(const mpz_t z, long v) { return mpz_cmp_si(z, v); }
static inline int mpc_mpz_odd_p(const mpz_t z) { return mpz_odd_p(z); }
static inline mpz_ptr mpc_mpq_numref(mpq_ptr q) { return mpq_numref(q); }
static inline mpz_ptr mpc_mpq_denref(mpq_ptr q) { return mpq_denref(q); }
static inline mpz_srcptr mpc_mpq_numref_const(mpq_srcptr q) { return mpq_numref(q); }
static inline mpz_srcptr mpc_mpq_denref_const(mpq_srcptr q) { return mpq_denref(q); }

/* Zeroizing allocator: every block GMP frees or moves (including its internal temporaries
   and the old block of a realloc) is wiped first, so limbs of secrets never linger in freed
   memory. explicit_bzero cannot be elided by the compiler. */
static void *mpc_gmp_alloc(size_t n) {
  void *p = malloc(n);
  if (p == NULL) abort();
  return p;
}
static void *mpc_gmp_realloc(void *old, size_t old_size, size_t new_size) {
  void *p = malloc(new_size);
  if (p == NULL) abort();
  if (old != NULL) {
    memcpy(p, old, old_size < new_size ? old_size : new_size);
    explicit_bzero(old, old_size);
    free(old);
  }
  return p;
}
static void mpc_gmp_free(void *p, size_t n) {
  if (p == NULL) return;
  explicit_bzero(p, n);
  free(p);
}
static inline void mpc_gmp_install_zeroizing_allocator(void) {
  mp_set_memory_functions(mpc_gmp_alloc, mpc_gmp_realloc, mpc_gmp_free);
}

#endif
