internal import CGMP

// MARK: - GMP set-up

/// Installs the zeroizing allocator before the first GMP allocation of the process.
private let gmpInitialized: Bool = {
  mpc_gmp_install_zeroizing_allocator()
  return true
}()

@inline(__always)
func ensureGMP() {
  precondition(gmpInitialized)
}

// MARK: - Storage

/// Owns one heap-allocated `mpz_t`; never copied by value (STYLE: copying an `__mpz_struct`
/// double-frees). Limbs are wiped by the zeroizing allocator when GMP frees them.
final class MPZStorage {
  let pointer: UnsafeMutablePointer<__mpz_struct>

  init() {
    ensureGMP()
    pointer = .allocate(capacity: 1)
    __gmpz_init(pointer)
  }

  init(copying other: MPZStorage) {
    ensureGMP()
    pointer = .allocate(capacity: 1)
    __gmpz_init_set(pointer, other.pointer)
  }

  deinit {
    __gmpz_clear(pointer)
    pointer.deallocate()
  }
}

/// Owns one heap-allocated `mpq_t`, canonical after every public operation.
final class MPQStorage {
  let pointer: UnsafeMutablePointer<__mpq_struct>

  init() {
    ensureGMP()
    pointer = .allocate(capacity: 1)
    __gmpq_init(pointer)
  }

  init(copying other: MPQStorage) {
    ensureGMP()
    pointer = .allocate(capacity: 1)
    __gmpq_init(pointer)
    __gmpq_set(pointer, other.pointer)
  }

  deinit {
    __gmpq_clear(pointer)
    pointer.deallocate()
  }
}
