#!/usr/bin/env python3
"""Reference implementation of protocols/noise.md v1 (informative, slow, exact).

Replays the samplers from a seeded ChaCha20 stream (RFC 8439, key = seed, nonce = 12 zero
bytes, counter from 0) with Python integers and fractions only. Usage:

    python3 protocols/noise_reference.py SEED_HEX laplace 3/2 12
    python3 protocols/noise_reference.py SEED_HEX gaussian-exact 9/4 12
    python3 protocols/noise_reference.py SEED_HEX gaussian-table 9/4 12
    python3 protocols/noise_reference.py SEED_HEX polya 10 3 12
    python3 protocols/noise_reference.py SEED_HEX nb 1/2 1 12      (shape, rate)
"""
import struct
import sys
from fractions import Fraction
from math import isqrt

# -- ChaCha20 keystream ---------------------------------------------------------------------


def _rotl(v, c):
    return ((v << c) & 0xFFFFFFFF) | (v >> (32 - c))


def _quarter(x, a, b, c, d):
    x[a] = (x[a] + x[b]) & 0xFFFFFFFF; x[d] = _rotl(x[d] ^ x[a], 16)
    x[c] = (x[c] + x[d]) & 0xFFFFFFFF; x[b] = _rotl(x[b] ^ x[c], 12)
    x[a] = (x[a] + x[b]) & 0xFFFFFFFF; x[d] = _rotl(x[d] ^ x[a], 8)
    x[c] = (x[c] + x[d]) & 0xFFFFFFFF; x[b] = _rotl(x[b] ^ x[c], 7)


def _block(key, counter, nonce):
    state = [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574]
    state += list(struct.unpack("<8I", key)) + [counter] + list(struct.unpack("<3I", nonce))
    x = state[:]
    for _ in range(10):
        _quarter(x, 0, 4, 8, 12); _quarter(x, 1, 5, 9, 13)
        _quarter(x, 2, 6, 10, 14); _quarter(x, 3, 7, 11, 15)
        _quarter(x, 0, 5, 10, 15); _quarter(x, 1, 6, 11, 12)
        _quarter(x, 2, 7, 8, 13); _quarter(x, 3, 4, 9, 14)
    return struct.pack("<16I", *[(a + b) & 0xFFFFFFFF for a, b in zip(x, state)])


class Stream:
    def __init__(self, seed):
        self.key, self.nonce, self.counter, self.buf = seed, bytes(12), 0, b""

    def read(self, n):
        while len(self.buf) < n:
            self.buf += _block(self.key, self.counter, self.nonce)
            self.counter += 1
        out, self.buf = self.buf[:n], self.buf[n:]
        return out


# -- Primitives (§2) --------------------------------------------------------------------------


def uniform(rng, m):
    if m == 1:
        return 0
    k = (m - 1).bit_length()
    while True:
        c = int.from_bytes(rng.read((k + 7) // 8), "little") & ((1 << k) - 1)
        if c < m:
            return c


def bernoulli(rng, p, q):
    if p == 0:
        return False
    if p >= q:
        return True
    return uniform(rng, q) < p


def bexp_le1(rng, num, den):
    k = 1
    while bernoulli(rng, num, den * k):
        k += 1
    return k % 2 == 1


def bexp(rng, num, den):
    if num <= den:
        return bexp_le1(rng, num, den)
    for _ in range(num // den):
        if not bexp_le1(rng, 1, 1):
            return False
    return bexp_le1(rng, num % den, den)


# -- Laws (§3) --------------------------------------------------------------------------------


def geometric_core(rng, s, t):
    while True:
        u = uniform(rng, t)
        if not bexp(rng, u, t):
            continue
        v = 0
        while bexp_le1(rng, 1, 1):
            v += 1
        return (u + t * v) // s


def laplace(rng, scale):
    t, s = scale.numerator, scale.denominator
    while True:
        y = geometric_core(rng, s, t)
        neg = bernoulli(rng, 1, 2)
        if neg and y == 0:
            continue
        return -y if neg else y


def gaussian_exact(rng, s2):
    n, d = s2.numerator, s2.denominator
    t = isqrt(n // d) + 1
    while True:
        y = laplace(rng, Fraction(t))
        diff = abs(y) * d * t - n
        if bexp(rng, diff * diff, 2 * n * d * t * t):
            return y


def negative_binomial(rng, shape, rate):
    u, v, s, t = shape.numerator, shape.denominator, rate.numerator, rate.denominator
    while True:
        k = geometric_core(rng, s, t)
        if all(bernoulli(rng, j * v + u, (j + 1) * v) for j in range(k)):
            return k


def polya(rng, scale, shares):
    x = negative_binomial(rng, Fraction(1, shares), 1 / scale)
    y = negative_binomial(rng, Fraction(1, shares), 1 / scale)
    return x - y


# -- Gaussian table (§4) ----------------------------------------------------------------------


def ceil_shift(x, b):
    return -((-x) >> b)


def taylor(y, bits, upper):
    one = 1 << bits
    lo = hi = total = one
    n = 0
    while True:
        n += 1
        lo = (lo * y) // (n << bits)
        hi = -((-(hi * y)) // (n << bits))
        if n % 2 == 1:
            total -= lo if upper else hi
        else:
            total += hi if upper else lo
        if hi <= 1 and (n % 2 == 1) != upper and n >= 2:
            return total


def exp_minus(r, p):
    k, y = 0, Fraction(r)
    while y > Fraction(1, 2):
        y /= 2
        k += 1
    w = p + 2 * k + 16
    scaled = y * (1 << w)
    lo = taylor(-((-scaled.numerator) // scaled.denominator), w, False)
    hi = taylor(scaled.numerator // scaled.denominator, w, True)
    lo, hi = max(lo, 0), min(hi, 1 << w)
    for _ in range(k):
        lo, hi = (lo * lo) >> w, ceil_shift(hi * hi, w)
    return lo >> (w - p), ceil_shift(hi, w - p)


def gaussian_table(s2):
    p, q = 192, 160
    b180 = -((-(180 * s2.numerator)) // s2.denominator)
    b = isqrt(b180)
    if b * b < b180:
        b += 1
    r0, step = exp_minus(1 / s2 / 2, p), exp_minus(1 / s2, p)
    wlo, whi = [1 << p], [1 << p]
    rlo, rhi = r0
    for _ in range(b):
        wlo.append((wlo[-1] * rlo) >> p)
        whi.append(ceil_shift(whi[-1] * rhi, p))
        rlo, rhi = (rlo * step[0]) >> p, ceil_shift(rhi * step[1], p)
    tail = -((-(whi[b] * s2.numerator)) // (s2.denominator * b))
    zlo = sum(wlo[abs(x)] for x in range(-b, b + 1))
    zhi = sum(whi[abs(x)] for x in range(-b, b + 1)) + 2 * tail
    table, slo = [], 0
    for j in range(2 * b):
        slo += wlo[abs(j - b)]
        table.append(((slo << q) // zhi) >> (q - 128))
    return b, table


def gaussian_table_draws(rng, s2, count):
    b, table = gaussian_table(s2)
    out = []
    for _ in range(count):
        u = int.from_bytes(rng.read(16), "little")
        out.append(sum(1 for c in table if c <= u) - b)
    return out


def main(argv):
    rng = Stream(bytes.fromhex(argv[1]))
    kind = argv[2]
    if kind == "laplace":
        values = [laplace(rng, Fraction(argv[3])) for _ in range(int(argv[4]))]
    elif kind == "gaussian-exact":
        values = [gaussian_exact(rng, Fraction(argv[3])) for _ in range(int(argv[4]))]
    elif kind == "gaussian-table":
        values = gaussian_table_draws(rng, Fraction(argv[3]), int(argv[4]))
    elif kind == "polya":
        values = [polya(rng, Fraction(argv[3]), int(argv[4])) for _ in range(int(argv[5]))]
    elif kind == "nb":
        values = [negative_binomial(rng, Fraction(argv[3]), Fraction(argv[4]))
                  for _ in range(int(argv[5]))]
    else:
        raise SystemExit(__doc__)
    print("\n".join(str(v) for v in values))


if __name__ == "__main__":
    main(sys.argv)
