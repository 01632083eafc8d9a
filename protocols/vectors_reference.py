#!/usr/bin/env python3
"""Independent replay of vectors/*.json from protocols/ alone (informative, slow).

Written from the text of protocols/*.md, not from the Swift code, to show that the specs
suffice. It recomputes every output it can and compares it with the file:

    python3 protocols/vectors_reference.py [VECTORS_DIR]

Needs Python 3.9+ and, for `channel`, the frame cases of `negative` and the Ed25519
signatures of `governance`, the `cryptography` package (X25519, ChaCha20-Poly1305, Ed25519);
without it those are skipped. Not replayed here:
the σ² searches of `calibration` (its ε, table δ and laplace values are replayed), the interval
operations of `accounting` (its ε conversion and table δ are replayed), the `query` bounds of
`field-auto` beyond `sum`, `share-over-table-limit` of `negative`,
the CSV loading of `transcripts` (its x_i are taken from the file) and the error texts of
`negative` (implementation wording).
"""
import hashlib
import json
import math
import os
import struct
import sys
from fractions import Fraction

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import noise_reference as nr  # noqa: E402

try:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
    from cryptography.hazmat.primitives import serialization
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
    HAVE_CRYPTO = True
except ImportError:  # pragma: no cover
    HAVE_CRYPTO = False


def le32(x):
    return struct.pack("<I", x)


def le64(x):
    return struct.pack("<Q", x)


def h(b):
    return b.hex()


def unhex(s):
    return bytes.fromhex(s)


def blake(data, key=b""):
    return hashlib.blake2b(data, digest_size=32, key=key).digest()


# -- random.md ----------------------------------------------------------------------------------


class Stream(nr.Stream):
    """PRG(seed, stream id): nonce = LE64(stream) || 00000000; counts bytes read."""

    def __init__(self, key, stream=0, nonce=None):
        super().__init__(key)
        self.nonce = nonce if nonce is not None else le64(stream) + bytes(4)
        self.consumed = 0

    def read(self, n):
        self.consumed += n
        return super().read(n)


def next_bits(rng, k):
    if k == 0:
        return 0
    return int.from_bytes(rng.read((k + 7) // 8), "little") & ((1 << k) - 1)


def kdf(ikm, label, parts):
    msg = b"swift-mpc/kdf/v1" + le32(len(label)) + label
    for p in parts:
        msg += le32(len(p)) + p
    return msg, blake(msg, ikm)


# -- field.md -----------------------------------------------------------------------------------


def width(p):
    return (p.bit_length() + 7) // 8


def enc(values, p):
    return b"".join((v % p).to_bytes(width(p), "little") for v in values)


def signed(v, p):
    v %= p
    return v if v <= (p - 1) // 2 else v - p


def uniform_vector(rng, p, m):
    return [nr.uniform(rng, p) for _ in range(m)]


# -- checks -------------------------------------------------------------------------------------


class Mismatch(Exception):
    pass


def same(name, got, want):
    if got != want:
        raise Mismatch(f"{name}: computed {got!r}, file has {want!r}")


def check_field(i, e):
    p = int(i["modulus"])
    a = [int(x) % p for x in i["a"]]
    b = [int(x) % p for x in i["b"]]
    s = int(i["scalar"])
    same("width", width(p), e["width"])
    same("a", h(enc(a, p)), e["a"])
    same("sum", h(enc([x + y for x, y in zip(a, b)], p)), e["sum"])
    same("difference", h(enc([x - y for x, y in zip(a, b)], p)), e["difference"])
    same("negation", h(enc([-x for x in a], p)), e["negation"])
    same("add_scalar", h(enc([x + s for x in a], p)), e["add_scalar"])
    same("a_signed", [str(signed(x, p)) for x in a], e["a_signed"])


def check_prg(i, e):
    rng = Stream(unhex(i["seed"]), i["stream"])
    rejections = 0
    for op, want in zip(i["ops"], e["results"]):
        before = rng.consumed
        kind, arg = op["op"], op["arg"]
        if kind == "bytes":
            got = h(rng.read(arg))
        elif kind == "next64":
            got = str(int.from_bytes(rng.read(8), "little"))
        elif kind == "bits":
            got = str(next_bits(rng, arg))
        else:
            got = str(nr.uniform(rng, int(arg)))
        same(f"{kind}({arg})", got, want["value"])
        same(f"{kind}({arg}) consumed", rng.consumed - before, want["consumed"])
        if kind == "uniform" and int(arg) > 1:  # vectors.md: uniform(1) reads nothing, adds 0
            rejections += (rng.consumed - before) // (((int(arg) - 1).bit_length() + 7) // 8) - 1
    same("consumed", rng.consumed, e["consumed"])
    same("rejections", rejections, e["rejections"])


def check_field_sampling(i, e):
    p = int(i["modulus"])
    rng = Stream(unhex(i["seed"]), i["stream"])
    same("elements", h(enc(uniform_vector(rng, p, i["count"]), p)), e["elements"])
    same("consumed", rng.consumed, e["consumed"])


def check_kdf(i, e):
    msg, key = kdf(unhex(i["ikm"]), i["label"].encode(), [unhex(x) for x in i["parts"]])
    same("message", h(msg), e["message"])
    same("key", h(key), e["key"])


def mask(secret, p, version, study, session, query, vector, m, lo, hi):
    parts = [le32(version), study.encode(), session, query.encode(), vector.encode(), le64(m),
             p.to_bytes(width(p), "little"), le32(lo), le32(hi)]
    _, key = kdf(secret, b"pairwise-mask", parts)
    return key, uniform_vector(Stream(key, nonce=bytes(12)), p, m)


def uploads(p, n, m, masks, xs, etas):
    ys = []
    for i in range(n):
        y = [x + eta for x, eta in zip(xs[i], etas[i])]
        for (a, b), r in masks.items():
            if a == i:
                y = [v + w for v, w in zip(y, r)]
            elif b == i:
                y = [v - w for v, w in zip(y, r)]
        ys.append([v % p for v in y])
    return ys


def check_masks(i, e):
    p, m, n = int(i["modulus"]), i["length"], i["parties"]
    masks = {}
    for s, k, r in zip(i["pair_secrets"], e["keys"], e["masks"]):
        key, vec = mask(unhex(s["secret"]), p, i["protocol_version"], i["study_id"],
                        unhex(i["session_id"]), i["query_id"], i["vector_name"], m, s["i"], s["j"])
        same("key", h(key), k["key"])
        same("mask", h(enc(vec, p)), r["mask"])
        masks[(s["i"], s["j"])] = vec
    xs = [[int(v) for v in x] for x in i["x"]]
    etas = [[int(v) for v in x] for x in i["eta"]]
    ys = uploads(p, n, m, masks, xs, etas)
    same("uploads", [h(enc(y, p)) for y in ys], e["uploads"])
    same("opened", [str(signed(sum(c), p)) for c in zip(*ys)], e["opened"])


def check_sharing(i, e):
    p = int(i["modulus"])
    rng = Stream(unhex(i["seed"]), i["stream"])
    x = [int(v) for v in i["secret"]]
    shares = [uniform_vector(rng, p, len(x)) for _ in range(i["parties"] - 1)]
    shares.append([v - sum(col) for v, col in zip(x, zip(*shares))])
    same("shares", [h(enc(s, p)) for s in shares], e["shares"])
    same("consumed", rng.consumed, e["consumed"])


def noise_draws(kind, i, rng):
    f = Fraction
    count = i["count"]
    if kind == "bernoulli":
        return [int(nr.bernoulli(rng, int(i["p"]), int(i["q"]))) for _ in range(count)]
    if kind == "bernoulli-exp":
        return [int(nr.bexp(rng, int(i["num"]), int(i["den"]))) for _ in range(count)]
    if kind == "geometric":
        a = f(i["rate"])
        return [nr.geometric_core(rng, a.numerator, a.denominator) for _ in range(count)]
    if kind == "laplace":
        return [nr.laplace(rng, f(i["scale"])) for _ in range(count)]
    if kind == "gaussian-exact":
        return [nr.gaussian_exact(rng, f(i["sigma_squared"])) for _ in range(count)]
    if kind == "gaussian-table":
        return nr.gaussian_table_draws(rng, f(i["sigma_squared"]), count)
    if kind == "nb":
        return [nr.negative_binomial(rng, f(i["shape"]), f(i["rate"])) for _ in range(count)]
    return [nr.polya(rng, f(i["scale"]), i["shares"]) for _ in range(count)]


def make_noise_check(kind):
    def check(i, e):
        rng = Stream(unhex(i["seed"]), i["stream"])
        same("outputs", noise_draws(kind, i, rng), e["outputs"])
        same("consumed", rng.consumed, e["consumed"])
        if kind == "gaussian-table":
            same("bound", nr.gaussian_table(Fraction(i["sigma_squared"]))[0], e["bound"])
    return check


# -- noise.md §6.2, §6.4: ρ → (ε, δ) and the table δ --------------------------------------------

EPSILON_TOLERANCE = 1e-9  # noise.md §6.2: |ε' − ε| ≤ 10^−9·ε


def epsilon_from_rho(rho, delta):
    """noise.md §6.2, step by step (binary64 through Python's float and math module)."""
    rho = Fraction(rho)
    if rho == 0:
        return 0.0
    r = float(rho)
    if Fraction(r) < rho:
        r = math.nextafter(r, math.inf)
    log_inverse_delta = -math.log(delta)

    def value(alpha):
        am1 = alpha - 1
        terms = [alpha * r, log_inverse_delta / am1, math.log1p(-1 / alpha), -math.log(alpha) / am1]
        total = 0.0
        magnitude = 0.0
        for t in terms:
            total += t
        for t in terms:
            magnitude += abs(t)
        return total, magnitude * 1e-13 + sys.float_info.min

    a, b = -30.0, 30.0
    g = (math.sqrt(5.0) - 1) / 2
    c, d = b - g * (b - a), a + g * (b - a)
    for _ in range(200):
        if value(1 + math.exp(c))[0] < value(1 + math.exp(d))[0]:
            b = d
        else:
            a = c
        c, d = b - g * (b - a), a + g * (b - a)
    v, err = value(1 + math.exp((a + b) / 2))
    return max(0.0, math.nextafter(v + err, math.inf))


def epsilon_close(got, want_text):
    want = float(want_text)
    if abs(got - want) > EPSILON_TOLERANCE * abs(want):
        raise Mismatch(f"epsilon: computed {got!r}, file has {want_text} (tolerance 1e-9 relative)")


def table_delta(epsilon, samples):
    """noise.md §6.4 for an exact rational ε."""
    if samples <= 0:
        return Fraction(0)
    if epsilon > 128:
        return Fraction(1)
    bits = 64 + 2 * math.ceil(max(epsilon, 0))
    lo, _ = nr.exp_minus(max(epsilon, Fraction(0)), bits)
    e_upper = Fraction(1 << bits, lo)
    return min(Fraction(1), (1 + e_upper) * samples / Fraction(1 << 100))


def to_double_toward_zero(x):
    """The binary64 of x rounded toward zero (noise.md §6.2 step 1, δ of a calibration)."""
    d = float(x)
    if abs(Fraction(d)) > abs(x):
        d = math.nextafter(d, 0.0)
    return d


def check_calibration(i, e):
    """What noise.md §6.2/§6.4 and §5.2 fix: ε (within the tolerance, from the file's ρ), the
    table δ from the file's ε, and laplace's reported values. σ² searches and intervals are
    replayed by `mpc verify-vectors` only."""
    delta = to_double_toward_zero(Fraction(i["delta"]))
    if i["mechanism"] == "gaussian":
        epsilon_close(epsilon_from_rho(Fraction(e["rho"]), delta), e["epsilon"])
        samples = i["parties"] * i["dimension"]
        td = table_delta(Fraction(float(e["epsilon"])), samples)
        same("table_delta", rtext(td), e["table_delta"])
    else:
        (unit, amount), = e["cost"].items()
        eps = Fraction(amount)
        same("cost unit", unit, "epsilon")
        same("epsilon", repr(math.nextafter(float(eps), math.inf)), e["epsilon"])
        same("rho", rtext(eps * eps / 2), e["rho"])
        same("tau", "0", e["tau"])
        same("table_delta", "0", e["table_delta"])
        same("per_party", {"law": "polya", "scale": rtext(Fraction(i["l1"]) / eps),
                           "shares": i["parties"] - i["colluders"]}, e["per_party"])


def rtext(x):
    return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"


def check_accounting(i, e):
    op = i["op"]

    def cost(c):
        (unit, amount), = c.items()
        return unit, Fraction(amount)

    def text(x):
        return str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"

    if op == "compose":
        units = [cost(c) for c in i["costs"]]
        if all(u == "epsilon" for u, _ in units):
            total = {"epsilon": text(sum(a for _, a in units))}
        else:
            total = {"rho": text(sum(a if u == "rho" else a * a / 2 for u, a in units))}
        same("total", total, e["total"])
    elif op == "fits":
        (cu, ca), (bu, ba) = cost(i["cost"]), cost(i["budget"])
        same("fits", (ca if cu == bu else ca * ca / 2) <= ba, e["fits"])
    elif op == "remaining":
        (bu, ba), (su, sa) = cost(i["budget"]), cost(i["spent"])
        same("remaining", {bu: text(ba - (sa if bu == su else sa * sa / 2))}, e["remaining"])
    elif op == "epsilon-from-rho":
        epsilon_close(epsilon_from_rho(Fraction(i["rho"]), float(i["delta"])), e["epsilon"])
    elif op == "table-delta":
        same("table_delta", text(table_delta(Fraction(i["epsilon"]), i["samples"])),
             e["table_delta"])
    elif op == "exp-minus":
        lo, hi = nr.exp_minus(Fraction(i["r"]), i["precision"])
        same("exp-minus", [str(lo), str(hi)], [e["lo"], e["hi"]])
    elif op == "sqrt-upper":
        x = Fraction(i["x"])
        scaled = -((-x.numerator << 128) // x.denominator)
        root = nr.isqrt(scaled)
        root += root * root < scaled
        same("sqrt_upper", text(Fraction(root, 1 << 64)), e["sqrt_upper"])


# -- manifest.md --------------------------------------------------------------------------------


def c_block(tag, body):
    return bytes([tag]) + le32(len(body)) + body


def c_int(v):
    return c_block(2, str(int(v)).encode())


def c_rat(x):
    x = Fraction(x)
    t = str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"
    return c_block(3, t.encode())


def c_str(s):
    return c_block(4, s.encode())


def c_bytes(b):
    return c_block(5, b)


def c_list(items):
    return b"\x06" + le32(len(items)) + b"".join(items)


def c_record(fields):
    keys = sorted(fields, key=lambda k: k.encode())
    return b"\x07" + le32(len(keys)) + b"".join(le32(len(k.encode())) + k.encode() + fields[k]
                                                for k in keys)


ABSENT = b"\x00"
NAMED = {2**61 - 1: "m61", 2**89 - 1: "m89", 2**107 - 1: "m107", 2**127 - 1: "m127"}


def exact(v):
    return Fraction(v) if isinstance(v, str) else Fraction(int(v))


def study_record(s):
    field = s.get("field", "auto")
    if field in ("auto", "m61", "m89", "m107", "m127"):
        fv = c_str(field)
    else:
        p = int(field, 0)
        fv = c_str(NAMED[p]) if p in NAMED else c_int(p)
    (unit, amount), = s["budget"].items()
    return c_record({
        "id": c_str(s["id"]),
        "parties": c_list([c_record({"id": c_int(q["id"]), "name": c_str(q["name"]),
                                     "address": c_str(q["address"]),
                                     "public_key": c_bytes(unhex(q["public_key"]))})
                           for q in s["parties"]]),
        "colluders": c_int(s["colluders"]), "field": fv,
        "neighbour": c_str(s.get("neighbour", "add-remove")),
        "max_sites_per_person": c_int(s.get("max_sites_per_person", 1)),
        "budget": c_record({unit: c_rat(exact(amount))}),
        "delta": c_rat(exact(s["delta"])) if "delta" in s else ABSENT,
        **({"policy": policy_record(s["policy"])} if "policy" in s else {}),
        **({"registry": registry_record(s["registry"])} if "registry" in s else {}),
    })


def c_bool(b):
    return b"\x01" + bytes([1 if b else 0])


def policy_record(p):
    """manifest.md §1.1: the present keys only; lists sorted bytewise."""
    f = {}
    if "tier" in p:
        f["tier"] = c_str(p["tier"])
    for key in ("max_query_cost", "max_total"):
        if key in p:
            f[key] = cost_record(p[key])
    for key in ("mechanisms", "neighbours"):
        if key in p:
            f[key] = c_list([c_str(x) for x in sorted(p[key], key=lambda x: x.encode())])
    if "max_delta" in p:
        f["max_delta"] = c_rat(exact(p["max_delta"]))
    for key in ("min_sites_per_person", "min_honest", "round_to", "suppress_below"):
        if key in p:
            f[key] = c_int(p[key])
    return c_record(f)


def registry_record(r):
    """manifest.md §1.2."""
    return c_record({
        "required": c_bool(r.get("required", True)), "threshold": c_int(r["threshold"]),
        "approvers": c_list([c_record({"id": c_str(a["id"]), "public_key": c_bytes(unhex(a["public_key"]))})
                             for a in r["approvers"]])})


def query_record(q):
    pair = lambda b: c_list([c_int(b[0]), c_int(b[1])])  # noqa: E731
    unit = "epsilon" if "epsilon" in q else "rho"
    f = {"id": c_str(q["id"]), "kind": c_str(q["kind"]),
         "mechanism": c_str(q.get("mechanism", "gaussian")),
         "privacy": c_record({unit: c_rat(exact(q[unit]))}),
         "max_bad_rows": c_int(q.get("max_bad_rows", 0))}
    kind = q["kind"]
    if kind == "count":
        w = q.get("where")
        f["where"] = c_record({"column": c_str(w["column"]), "equals": c_str(w["equals"])}) \
            if w else ABSENT
    elif kind in ("sum", "mean"):
        f["column"], f["bounds"] = c_str(q["column"]), pair(q["bounds"])
        if kind == "mean":
            f["split"] = c_rat(exact(q.get("split", "1/2")))
    elif kind == "histogram":
        f["column"] = c_str(q["column"])
        if "categories" in q:
            f["categories"] = c_list([c_str(c) for c in q["categories"]])
        else:
            f["bin_edges"] = c_list([c_rat(exact(x)) for x in q["bin_edges"]])
        f["outside"] = c_str(q["outside"])
    elif kind == "crosstab":
        axes = []
        for a in q["columns"]:
            r = {"column": c_str(a["column"]), "outside": c_str(a.get("outside", "other"))}
            if "categories" in a:
                r["categories"] = c_list([c_str(c) for c in a["categories"]])
            else:
                r["bin_edges"] = c_list([c_rat(exact(x)) for x in a["bin_edges"]])
            axes.append(c_record(r))
        f["columns"] = c_list(axes)
    elif kind == "variance":
        f["column"], f["bounds"] = c_str(q["column"]), pair(q["bounds"])
        f["split"] = c_list([c_rat(exact(x)) for x in q.get("split", ["1/3", "1/3", "1/3"])])
    elif kind == "quantile":
        f["column"] = c_str(q["column"])
        f["bin_edges"] = c_list([c_rat(exact(x)) for x in q["bin_edges"]])
        f["quantiles"] = c_list([c_rat(exact(x)) for x in q.get("quantiles", ["1/2"])])
    elif kind == "linear-regression":
        f["column"], f["bounds"] = c_str(q["column"]), pair(q["bounds"])
        f["predictors"] = c_list([c_record({"column": c_str(x["column"]), "bounds": pair(x["bounds"])})
                                  for x in q["predictors"]])
        f["intercept"] = c_bool(q.get("intercept", True))
        f["ridge"] = c_rat(exact(q["ridge"])) if "ridge" in q else ABSENT
    elif kind == "covariance":
        f["columns"] = c_list([c_record({"column": c_str(x["column"]), "bounds": pair(x["bounds"])})
                               for x in q["columns"]])
    else:
        f["length"] = c_int(q["length"])
        b = q["bounds"]
        if isinstance(b[0], list) and all(x == b[0] for x in b):
            b = b[0]
        f["bounds"] = pair(b) if not isinstance(b[0], list) else c_list([pair(x) for x in b])
    return c_record(f)


def domain_hash(domain, encoded):
    return blake(le32(len(domain)) + domain.encode() + encoded)


def manifest_hash(study, query, head):
    record = c_record({"study": study_record(study), "query": query_record(query),
                       "ledger_head": c_bytes(head)})
    return record, domain_hash("swift-mpc/manifest/v1", record)


def check_manifest_hash(i, e):
    same("study_canonical", h(study_record(i["study"])), e["study_canonical"])
    same("query_canonical", h(query_record(i["query"])), e["query_canonical"])
    record, digest = manifest_hash(i["study"], i["query"], unhex(i["ledger_head"]))
    same("canonical", h(record), e["canonical"])
    same("hash", h(digest), e["hash"])


# -- messages.md --------------------------------------------------------------------------------


def m_str(s):
    b = s.encode()
    return le32(len(b)) + b


def check_messages(i, e):
    m = i["message"]
    t = m["type"]
    if t == "hello":
        typ, body = 1, (struct.pack("<H", m["protocol_version"]) + m_str(m["study_id"])
                        + le32(m["party_id"]) + unhex(m["session_id"]) + unhex(m["manifest_hash"])
                        + (b"\x01" if m.get("seeded_noise") else b""))
    elif t == "ledger-head":
        x = Fraction(m["spent"])
        text = str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"
        typ, body = 2, unhex(m["hash"]) + m_str(text)
    elif t == "admit":
        typ, body = 3, b""
    elif t == "transcript":
        typ, body = 7, unhex(m["hash"])
    elif t == "ledger-entries":
        typ, body = 8, m["contents"].encode()
    elif t in ("refuse", "abort"):
        typ, body = (4 if t == "refuse" else 6), struct.pack("<H", m["code"]) + m_str(m["text"])
    else:
        typ = 5
        body = (m_str(m["query_id"]) + le32(m["chunk_index"]) + le32(m["chunk_count"])
                + struct.pack("<H", m["element_width"]) + le32(m["element_count"])
                + unhex(m["elements"]))
    same("frame", h(b"MP\x01" + bytes([typ]) + le32(len(body)) + body), e["frame"])


# -- ledger.md ----------------------------------------------------------------------------------


def ledger_genesis(s):
    study_hash = domain_hash("swift-mpc/study/v1", study_record(s))
    return domain_hash("swift-mpc/ledger-genesis/v2", c_record({
        "study_id": c_str(s["id"]), "study_hash": c_bytes(study_hash)}))


def cost_record(c):
    (u, a), = c.items()
    return c_record({u: c_rat(exact(a))})


def check_ledger_chain(genesis, expected):
    """Checks every entry's canonical record and hash chain; returns (head, spent, open)."""
    prev, last_seq, spent, open_ = genesis, 0, Fraction(0), {}
    uploaded = set()
    for entry in expected["entries"]:
        line = json.loads(entry["line"])
        same("prev", line["prev"], h(prev))
        if line["kind"] == "reconcile":
            heads = [(unhex(x["head"]), x["seq"]) for x in line["heads"]]
            same("joins own head", (prev, last_seq) in heads, True)
            same("reconcile seq", line["seq"], 1 + max(q for _, q in heads))
            add = Fraction(0)
            for x in line["sessions"]:
                key = (x["query_id"], x["session_id"])
                if key in open_:
                    same("open charge stands", x["stands"], True)
                elif x["stands"]:
                    (_, a), = x["cost"].items()
                    add += exact(a)
                open_.pop(key, None)
            (_, total), = line["spent"].items()
            same("reconciled spent", exact(total), spent + add)
            spent = exact(total)
            record = c_record({
                "seq": c_int(line["seq"]), "kind": c_str("reconcile"),
                "heads": c_list([c_record({"head": c_bytes(hd), "seq": c_int(q)}) for hd, q in heads]),
                "sessions": c_list([c_record({
                    "query_id": c_str(x["query_id"]), "session_id": c_bytes(unhex(x["session_id"])),
                    "cost": cost_record(x["cost"]),
                    "stands": b"\x01" + bytes([1 if x["stands"] else 0])}) for x in line["sessions"]]),
                "spent": cost_record(line["spent"])})
            domain = "swift-mpc/ledger-reconcile/v1"
        else:
            same("seq", line["seq"], last_seq + 1)
            (_, amount), = line["cost"].items()
            key = (line["query_id"], line["session_id"])
            if line["kind"] == "charge":
                spent += exact(amount)
                open_[key] = exact(amount)
            elif line["kind"] == "upload":
                # The charge stands from here on; the total does not change (ledger.md §4).
                same("upload of an open charge", key in open_ and key not in uploaded, True)
                uploaded.add(key)
            else:
                same("release of a charge not uploaded", key in uploaded, False)
                spent -= open_.pop(key)
            record = c_record({
                "seq": c_int(line["seq"]), "kind": c_str(line["kind"]),
                "query_id": c_str(line["query_id"]), "session_id": c_bytes(unhex(line["session_id"])),
                "manifest_hash": c_bytes(unhex(line["manifest_hash"])),
                "mechanism": c_str(line["mechanism"]), "k": c_int(line["k"]),
                "components": c_list([c_record({
                    "name": c_str(c["name"]), "dimension": c_int(c["dimension"]),
                    "delta1": c_rat(exact(c["delta1"])),
                    "delta2_squared": c_rat(exact(c["delta2_squared"])),
                    "cost": c_rat(exact(c["cost"]))}) for c in line["components"]]),
                "cost": cost_record(line["cost"]), "prev": c_bytes(prev)})
            domain = "swift-mpc/ledger-entry/v1"
        same("canonical", h(record), entry["canonical"])
        digest = domain_hash(domain, record)
        same("hash", h(digest), entry["hash"])
        same("line hash", line["hash"], h(digest))
        prev, last_seq = digest, line["seq"]
    same("head", h(prev), expected["head"])
    same("spent", spent, exact(expected["spent"]))
    return prev, spent, open_


def check_ledger(i, e):
    genesis = ledger_genesis(i["study"])
    same("genesis", h(genesis), e["genesis"])
    if "parties" not in i:
        check_ledger_chain(genesis, e)
        return
    results = [check_ledger_chain(genesis, p) for p in e["parties"]]
    same("heads agree after reconciliation", len({r[0] for r in results}), 1)
    same("spent agrees", len({r[1] for r in results}), 1)


# -- manifest.md §1.1–§1.3, ledger.md §6: governance ------------------------------------------


def signing_record(study_id, query, purpose, use_case):
    return c_record({"study_id": c_str(study_id), "query": query_record(query),
                     "purpose": c_str(purpose), "use_case": c_str(use_case)})


def query_cost(study, q):
    """The cost in the budget's unit (manifest.md "Mechanism and cost"; no ε-Gaussian here)."""
    (unit, _), = study["budget"].items()
    q_unit = "epsilon" if "epsilon" in q else "rho"
    amount = exact(q[q_unit])
    if q.get("mechanism", "gaussian") == "gaussian" and q_unit == "epsilon":
        raise Mismatch("the reference does not convert a Gaussian ε (binary64 search)")
    if unit == "rho" and q_unit == "epsilon":
        return "rho", amount * amount / 2
    return unit, amount


def at_most(cost, limit):
    (cu, ca), (lu, la) = cost, next(iter(limit.items()))
    la = exact(la)
    if cu == lu:
        return ca <= la
    return cu == "epsilon" and ca * ca / 2 <= la


def check_governance(i, e):
    s = i["study"]
    if "study_hash" in e or i["case"] != "release-log":
        same("study_hash", h(domain_hash("swift-mpc/study/v1", study_record(s))), e["study_hash"])
    if i["case"] == "signatures":
        registry = s["registry"]
        record = signing_record(s["id"], i["query"], i["purpose"], i["use_case"])
        same("signing_record", h(record), e["signing_record"])
        digest = domain_hash("swift-mpc/registry/v1", record)
        same("signing_digest", h(digest), e["signing_digest"])
        signed_digest = domain_hash("swift-mpc/registry/v1", signing_record(
            s["id"], i.get("signed_query", i["query"]), i["purpose"], i["use_case"]))
        keys = {a["id"]: unhex(a["public_key"]) for a in registry["approvers"]}
        same("signers", [x["approver"] for x in e["signatures"]], i["signers"])
        valid = set()
        for x in e["signatures"]:
            if HAVE_CRYPTO:
                sk = Ed25519PrivateKey.from_private_bytes(unhex(i["approver_seeds"][x["approver"]]))
                same("signature", x["signature"], h(sk.sign(signed_digest)))
                pk = sk.public_key().public_bytes(serialization.Encoding.Raw,
                                                  serialization.PublicFormat.Raw)
                same("pinned key", h(pk), h(keys[x["approver"]]))
                try:
                    Ed25519PublicKey.from_public_bytes(keys[x["approver"]]).verify(
                        unhex(x["signature"]), digest)
                    valid.add(x["approver"])
                except InvalidSignature:
                    pass
            elif signed_digest == digest:
                valid.add(x["approver"])
        ordered = [a["id"] for a in registry["approvers"] if a["id"] in valid]
        same("valid", ordered, e["valid"])
        same("approved", len(ordered) >= registry["threshold"], e["approved"])
        f = json.loads(e["registered_file"])
        same("file purpose", (f["purpose"], f["use_case"]), (i["purpose"], i["use_case"]))
        same("file query", h(query_record(f["query"])), h(query_record(i["query"])))
        same("file signatures", f["signatures"], e["signatures"])
    elif i["case"] == "policy":
        p, q = s["policy"], i["query"]
        same("policy_canonical", h(policy_record(p)), e["policy_canonical"])
        unit, amount = query_cost(s, q)
        same("cost", {unit: exact(e["cost"][unit])}, {unit: amount})
        rule = None
        if "mechanisms" in p and q.get("mechanism", "gaussian") not in p["mechanisms"]:
            rule = "policy.mechanisms"
        elif "max_query_cost" in p and not at_most((unit, amount), p["max_query_cost"]):
            rule = "policy.max_query_cost"
        same("rule", rule, e["rule"])
        same("admitted", rule is None, e["admitted"])
    else:
        genesis = ledger_genesis(s)
        same("genesis", h(genesis), e["genesis"])
        check_ledger_chain(genesis, e["ledger"])
        charges = {x["hash"]: json.loads(x["line"]) for x in e["ledger"]["entries"]}
        prev = bytes(32)
        for n, (given, r) in enumerate(zip(i["releases"], e["records"]), start=1):
            line = json.loads(r["line"])
            f = {
                "seq": c_int(line["seq"]), "query_id": c_str(line["query_id"]),
                "query_hash": c_bytes(unhex(line["query_hash"])),
                "manifest_hash": c_bytes(unhex(line["manifest_hash"])),
                "session_id": c_bytes(unhex(line["session_id"])),
                "charge_hash": c_bytes(unhex(line["charge_hash"])), "parties": c_int(line["parties"]),
                "mechanism": c_str(line["mechanism"]), "k": c_int(line["k"]),
                "cost": cost_record(line["cost"]), "result": c_str(line["result"]),
                "text": c_str(line["text"]), "prev": c_bytes(prev)}
            for key in ("definition", "purpose", "use_case"):
                if key in line:
                    f[key] = c_str(line[key])
            if line.get("approvers"):
                f["approvers"] = c_list([c_str(a) for a in line["approvers"]])
            same("seq", line["seq"], n)
            same("prev", line["prev"], h(prev))
            same("canonical", h(c_record(f)), r["canonical"])
            digest = domain_hash("swift-mpc/release-log/v1", c_record(f))
            same("hash", h(digest), r["hash"])
            same("line hash", line["hash"], r["hash"])
            same("query_hash", line["query_hash"],
                 h(domain_hash("swift-mpc/query/v1", query_record(given["query"]))))
            same("definition", h(query_record(json.loads(line["definition"]))),
                 h(query_record(given["query"])))
            same("approvers", line.get("approvers", []), given["approvers"])
            charge = charges.get(line["charge_hash"])
            same("charge exists", charge is not None, True)
            for key in ("query_id", "session_id", "manifest_hash", "mechanism", "k", "cost"):
                same("charge " + key, charge[key], line[key])
            same("charge kind", charge["kind"], "charge")
            prev = digest


# -- channel.md ---------------------------------------------------------------------------------


def hchacha20(key, nonce16):
    state = [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574]
    state += list(struct.unpack("<8I", key)) + list(struct.unpack("<4I", nonce16))
    x = state[:]
    for _ in range(10):
        nr._quarter(x, 0, 4, 8, 12); nr._quarter(x, 1, 5, 9, 13)  # noqa: E702
        nr._quarter(x, 2, 6, 10, 14); nr._quarter(x, 3, 7, 11, 15)  # noqa: E702
        nr._quarter(x, 0, 5, 10, 15); nr._quarter(x, 1, 6, 11, 12)  # noqa: E702
        nr._quarter(x, 2, 7, 8, 13); nr._quarter(x, 3, 4, 9, 14)  # noqa: E702
    return struct.pack("<8I", *(x[0:4] + x[12:16]))


def xchacha_seal(key, nonce, plaintext, ad):
    return ChaCha20Poly1305(hchacha20(key, nonce[:16])).encrypt(bytes(4) + nonce[16:], plaintext, ad)


def xchacha_open(key, nonce, ciphertext, ad):
    return ChaCha20Poly1305(hchacha20(key, nonce[:16])).decrypt(bytes(4) + nonce[16:], ciphertext, ad)


def frame_nonce_ad(direction, counter, length):
    nonce = bytes([direction]) + le64(counter) + bytes(15)
    ad = b"swift-mpc/frame/v1" + bytes([direction]) + le64(counter) + le32(length)
    return nonce, ad


def seal_frames(key, direction, plaintexts):
    out = []
    for c, p in enumerate(plaintexts):
        nonce, ad = frame_nonce_ad(direction, c, len(p))
        ct = xchacha_seal(key, nonce, p, ad)
        out.append(le32(len(ct)) + ct)
    return out


def x25519_pair(private):
    sk = X25519PrivateKey.from_private_bytes(private)
    pk = sk.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return sk, pk


def dh(sk, pk):
    return sk.exchange(X25519PublicKey.from_public_bytes(pk))


def check_channel(i, e):
    si, pi = x25519_pair(unhex(i["initiator_static_private"]))
    sr, pr = x25519_pair(unhex(i["responder_static_private"]))
    ei, pei = x25519_pair(unhex(i["initiator_ephemeral_private"]))
    er, per = x25519_pair(unhex(i["responder_ephemeral_private"]))
    a, b = i["initiator"], i["responder"]
    digest = blake(b"swift-mpc/study-id/v1" + i["study_id"].encode())
    m1 = b"MPCL\x01\x01" + le32(a) + le32(b) + digest + pei + unhex(i["initiator_nonce"])
    same("message1", h(m1), e["message1"])
    m2body = b"MPCL\x01\x02" + per + unhex(i["responder_nonce"])
    prk = blake(b"swift-mpc/link/v1" + dh(si, pr) + dh(ei, per) + dh(si, per) + dh(ei, pr) + pi + pr)
    th = blake(m1 + m2body)

    def k(label, x=b""):
        return kdf(prk, label.encode(), [th, le32(a), le32(b), x])[1]

    tag_r = k("link-confirm-responder")
    same("message2", h(m2body + tag_r), e["message2"])
    same("message3", h(b"MPCL\x01\x03" + k("link-confirm-initiator", tag_r)), e["message3"])
    kir, kri = k("link-key-initiator-to-responder"), k("link-key-responder-to-initiator")
    same("key_ir", h(kir), e["key_initiator_to_responder"])
    same("key_ri", h(kri), e["key_responder_to_initiator"])
    same("pair_secret", h(k("link-pair-secret")), e["pair_secret"])
    same("session_id", h(k("link-session-id")[:16]), e["session_id"])
    ir = seal_frames(kir, 0, [unhex(x) for x in i["frames_initiator_to_responder"]])
    ri = seal_frames(kri, 1, [unhex(x) for x in i["frames_responder_to_initiator"]])
    same("wire i->r", [h(x) for x in ir], e["wire_initiator_to_responder"])
    same("wire r->i", [h(x) for x in ri], e["wire_responder_to_initiator"])


# -- transcripts and negative -------------------------------------------------------------------


def moment_vector(query, text):
    """x_i of `linear-regression` and `covariance` (manifest.md §2, §6): the upper triangle of
    Σ z zᵀ, row-major, z = (1, x₁…x_p, y) clipped, or (1, y₁…y_p) with y_j = clip(x_j) − c_j,
    c_j = ⌊(L_j + U_j)/2⌋. Simple CSV only (no quoted fields); a bad value makes the row bad."""
    if query["kind"] == "covariance":
        cols = [(c["column"], c["bounds"], True) for c in query["columns"]]
    else:
        cols = [(c["column"], c["bounds"], False) for c in query["predictors"]]
        cols.append((query["column"], query["bounds"], False))
    lines = [ln for ln in text.replace("\r\n", "\n").split("\n") if ln]
    header = lines[0].split(",")
    q = len(cols) + 1
    out = [0] * (q * (q + 1) // 2)
    for line in lines[1:]:
        fields = line.split(",")
        z = [1]
        for name, (lo, hi), centred in cols:
            raw = fields[header.index(name)].strip(" \t")
            try:
                v = Fraction(raw)
            except ValueError:
                z = None
                break
            if v.denominator != 1:
                z = None
                break
            v = min(max(int(v), lo), hi)
            z.append(v - (lo + hi) // 2 if centred else v)
        if z is None:
            continue
        k = 0
        for a in range(q):
            for b in range(a, q):
                out[k] += z[a] * z[b]
                k += 1
    return out


def column_values(text, name):
    """The column `name` of simple CSV text (no quoted fields), one string per row."""
    lines = [ln for ln in text.replace("\r\n", "\n").split("\n") if ln]
    at = lines[0].split(",").index(name)
    return [ln.split(",")[at].strip(" \t") for ln in lines[1:]]


def statistic_vector(query, text):
    """x_i of `variance` ([Σy, Σy², n], y = clip(v) − c) and `quantile` (the histogram over
    bin_edges, values outside clipped into the first or last bin), manifest.md §2, §6."""
    values = column_values(text, query["column"])
    if query["kind"] == "variance":
        lo, hi = query["bounds"]
        c = (lo + hi) // 2
        ys = [min(max(int(v), lo), hi) - c for v in values]
        return [sum(ys), sum(y * y for y in ys), len(ys)]
    edges = [exact(x) for x in query["bin_edges"]]
    out = [0] * (len(edges) - 1)
    for v in values:
        x = Fraction(v)
        b = next((k for k in range(len(edges) - 1) if x < edges[k + 1]), len(edges) - 2)
        out[0 if x < edges[0] else b] += 1
    return out


def check_transcripts(i, e):
    study, query = i["study"], i["query"]
    if query["kind"] in ("covariance", "linear-regression"):
        for d, party in zip(i["data"], e["parties"]):
            same("x (moments from the CSV)", moment_vector(query, d), party["x"])
    if query["kind"] in ("variance", "quantile"):
        for d, party in zip(i["data"], e["parties"]):
            same("x (from the CSV)", statistic_vector(query, d), party["x"])
    head = ledger_genesis(study)
    same("ledger_head", h(head), e["ledger_head"])
    same("manifest_hash", h(manifest_hash(study, query, head)[1]), e["manifest_hash"])
    sid = blake(b"swift-mpc/session/v1" + b"".join(unhex(c) for c in i["session_contributions"]))
    same("session_id", h(sid[:16]), e["session_id"])
    transcript = blake(b"swift-mpc/transcript/v1" + unhex(e["manifest_hash"])
                       + b"".join(unhex(c) for c in i["session_contributions"]))
    same("transcript_hash", h(transcript), e["transcript_hash"])
    p, m, n = int(e["modulus"]), e["dimension"], len(study["parties"])
    masks = {}
    for s, r in zip(i["pair_secrets"], e["masks"]):
        _, vec = mask(unhex(s["secret"]), p, 1, study["id"], sid[:16], query["id"], "result", m,
                      s["i"], s["j"])
        same("mask", h(enc(vec, p)), r["mask"])
        masks[(s["i"], s["j"])] = vec
    etas = []
    for party, seed in zip(e["parties"], i["noise_seeds"]):
        rng = Stream(unhex(seed), 0)
        eta = []
        for c in e["components"]:
            if c["law"] == "polya":
                eta += [nr.polya(rng, Fraction(c["scale"]), c["shares"]) for _ in range(c["dimension"])]
            else:
                eta += nr.gaussian_table_draws(rng, Fraction(c["sigma_squared"]), c["dimension"])
        same("noise", eta, party["noise"])
        same("noise_consumed", rng.consumed, party["noise_consumed"])
        etas.append(eta)
    ys = uploads(p, n, m, masks, [x["x"] for x in e["parties"]], etas)
    same("uploads", [h(enc(y, p)) for y in ys], [x["upload"] for x in e["parties"]])
    same("opened", [str(signed(sum(c), p)) for c in zip(*ys)], e["opened"])


# -- messages.md §1–§4: the decoder's error class and offset -------------------------------------

MAX_BODY, MAX_STRING, MAX_WIDTH, MAX_ELEMENTS = 16 * 2**20 + 4096, 4096, 512, 2**20


class WireFailure(Exception):
    def __init__(self, kind, offset):
        super().__init__(kind, offset)
        self.kind, self.offset = kind, offset


def decode_frame(f):
    """Decodes one whole frame; raises WireFailure(class, offset) by messages.md §4."""
    for k, want in enumerate(b"MP"):
        if k < len(f) and f[k] != want:
            raise WireFailure("malformed", k)
    if len(f) > 2 and f[2] != 1:
        raise WireFailure("malformed", 2)
    if len(f) > 3 and not 1 <= f[3] <= 6:
        raise WireFailure("malformed", 3)
    if len(f) < 8:
        raise WireFailure("truncated", len(f))
    length = int.from_bytes(f[4:8], "little")
    if length > MAX_BODY:
        raise WireFailure("oversized", 4)
    if len(f) < 8 + length:
        raise WireFailure("truncated", len(f))
    end, pos = 8 + length, 8

    def take(n):
        nonlocal pos
        if end - pos < n:
            raise WireFailure("malformed", pos)
        pos += n
        return f[pos - n:pos]

    def u(n):
        return int.from_bytes(take(n), "little")

    def string():
        at = pos
        n = u(4)
        if n > MAX_STRING:
            raise WireFailure("oversized", at)
        raw = take(n)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise WireFailure("malformed", at)

    kind = f[3]
    if kind == 1:
        u(2), string(), u(4), take(16), take(32)
    elif kind == 2:
        take(32)
        at = pos
        text = string()
        try:
            value = Fraction(text)
            ok = rtext(value) == text
        except (ValueError, ZeroDivisionError):
            ok = False
        if not ok:
            raise WireFailure("malformed", at)
    elif kind in (4, 6):
        u(2), string()
    elif kind == 5:
        string()
        at = pos
        index, count = u(4), u(4)
        if count < 1 or index >= count:
            raise WireFailure("malformed", at)
        at = pos
        w = u(2)
        if not 1 <= w <= MAX_WIDTH:
            raise WireFailure("oversized", at)
        at = pos
        c = u(4)
        if c > MAX_ELEMENTS:
            raise WireFailure("oversized", at)
        if w * c != end - pos:
            raise WireFailure("malformed", pos)
        pos = end
    if pos != end:
        raise WireFailure("malformed", pos)
    if len(f) != end:
        raise WireFailure("malformed", end)


def check_preface(i, e):
    """channel.md §3 and random.md §5: the study hash and the preface plaintext."""
    record = study_record(i["study"])
    same("study_canonical", h(record), e["study_canonical"])
    digest = domain_hash("swift-mpc/study/v1", record)
    same("study_hash", h(digest), e["study_hash"])
    version = i["version"].encode()
    preface = b"MPCP" + bytes([1, i["mode"]]) + digest + len(version).to_bytes(2, "little") + version
    same("preface", h(preface), e["preface"])


def check_field_auto(i, e):
    """field.md §1 (`resolve`) and the bound B of query.md §1 from the file's share laws."""
    names = [("m61", 2**61 - 1), ("m89", 2**89 - 1), ("m107", 2**107 - 1), ("m127", 2**127 - 1)]
    if i["kind"] == "resolve":
        bound, choice = int(i["bound"]), i["field"]
        if choice == "auto":
            fits = [p for _, p in names if p > 2 * bound]
        else:
            p = dict(names).get(choice) or int(choice, 0)
            fits = [p] if p > 2 * bound else []
        want = {"modulus": str(fits[0])} if fits else {"error": "FieldError.modulusTooSmall"}
        same("resolve", want, e)
        return
    s, q = i["study"], i["query"]
    n = len(s["parties"])
    assert q["kind"] == "sum"
    truth = n * 2**32 * max(abs(b) for b in q["bounds"])
    noise = 0
    for c in e["noise"]:
        if c["law"] == "polya":
            qq = math.exp(-1 / float(Fraction(c["scale"])))
            variance = float(n) * 2 * qq / (float(c["shares"]) * (1 - qq) * (1 - qq))
        else:
            variance = float(n) * float(Fraction(c["sigma_squared"]))
        noise = max(noise, math.ceil(math.sqrt(variance) + 1) << 32)
    bound = truth + noise
    same("bound", str(bound), e["bound"])
    same("modulus", str(next(p for _, p in names if p > 2 * bound)), e["modulus"])


def check_negative(i, e):
    kind = i["kind"]
    if kind == "tampered-frame" and HAVE_CRYPTO:
        p = unhex(i["plaintext"])
        nonce, ad = frame_nonce_ad(i["direction"], 0, len(p))
        ct = bytearray(xchacha_seal(unhex(i["key"]), nonce, p, ad))
        same("ciphertext", h(ct), e["ciphertext"])
        ct[i["flip_offset"]] ^= i["flip_mask"]
        nonce, ad = frame_nonce_ad(i["open_direction"], 0, len(p))
        try:
            xchacha_open(unhex(i["open_key"]), nonce, bytes(ct), ad)
            raise Mismatch("a tampered frame authenticated")
        except InvalidTag:
            same("error", "NetworkError.frameRejected", e["error"])
    elif kind == "wrong-session-masks":
        p, m = int(i["modulus"]), i["length"]
        n = len(i["x"])
        ys = [[int(v) for v in x] for x in i["x"]]
        truth = [sum(c) for c in zip(*ys)]
        for s in i["pair_secrets"]:
            for party in (s["i"], s["j"]):
                sid = unhex(i["wrong_session_id"] if party == i["wrong_party"] else i["session_id"])
                _, r = mask(unhex(s["secret"]), p, i["protocol_version"], i["study_id"], sid,
                            i["query_id"], i["vector_name"], m, s["i"], s["j"])
                sign = 1 if party == s["i"] else -1
                ys[party] = [y + sign * v for y, v in zip(ys[party], r)]
        same("opened", [str(signed(sum(c), p)) for c in zip(*ys)], e["opened"])
        same("true_sum", [str(t) for t in truth], e["true_sum"])
        assert n == 3
    elif kind == "malformed-frame":
        try:
            decode_frame(unhex(i["frame"]))
            raise Mismatch("a malformed frame was accepted")
        except WireFailure as failure:
            same("error", "WireError." + failure.kind, e["error"])
            same("offset", str(failure.offset), e["fields"]["offset"])
    elif kind == "budget-exhausted":
        same("refused", Fraction(e["spent"]) + Fraction(e["cost"]) > Fraction(e["total"]), True)


# -- query.md §7 (synth) ------------------------------------------------------------------------

LN2 = 0.6931471805599453


def synth_log(x):
    m, e = math.frexp(x)  # x = m·2^e, m in [0.5, 1): the significand in [1, 2) is 2m, e − 1
    m, e = m * 2, float(e - 1)
    if m > 1.5:
        m, e = m / 2, e + 1
    s = (m - 1) / (m + 1)
    s2, p, total = s * s, s, 0.0
    for j in range(16):
        total = total + p / (2 * j + 1)
        p = p * s2
    return 2 * total + e * LN2


def synth_mi(cells, la, lb):
    c = [float(max(v, 0)) for v in cells]
    rows, cols, total = [0.0] * la, [0.0] * lb, 0.0
    for x in range(la):
        for y in range(lb):
            v = c[x * lb + y]
            rows[x] = rows[x] + v
            cols[y] = cols[y] + v
            total = total + v
    if total == 0:
        return 0.0
    log_t, mi = synth_log(total), 0.0
    for x in range(la):
        for y in range(lb):
            v = c[x * lb + y]
            if v > 0:
                mi = mi + (v / total) * (((synth_log(v) + log_t) - synth_log(rows[x])) - synth_log(cols[y]))
    return mi


def check_synth(i, e):
    levels = [len(c["categories"]) + 1 if "categories" in c else len(c["bin_edges"])
              for c in i["columns"]]
    d = len(levels)
    pairs = [(a, b) for a in range(d) for b in range(a + 1, d)]
    r1, r2, r3 = [[int(v) for v in r] for r in i["rounds"]]
    v1, v2, v3 = [Fraction(v) for v in i["variances"]]

    def tables(marginals, raw):
        out, at = [], 0
        for cols in marginals:
            size = 1
            for c in cols:
                size *= levels[c]
            out.append(raw[at:at + size])
            at += size
        assert at == len(raw), "round length"
        return out

    two = tables(pairs, r2)
    mi = [synth_mi(t, levels[a], levels[b]) for t, (a, b) in zip(two, pairs)]
    same("mutual_information", [struct.pack("<d", x).hex() for x in mi], e["mutual_information"])
    order = sorted(range(len(pairs)), key=lambda k: (-mi[k], pairs[k]))
    parent = list(range(d))

    def find(x):
        while parent[x] != x:
            x = parent[x]
        return x
    tree = []
    for k in order:
        if len(tree) == d - 1:
            break
        ra, rb = find(pairs[k][0]), find(pairs[k][1])
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
            tree.append(pairs[k])
    tree.sort()
    same("tree", [list(t) for t in tree], e["tree"])
    one = tables([[c] for c in range(d)], r1)
    three = dict(zip(tree, tables(tree, r3)))
    w2, w3 = 1 / v2, 1 / v3
    ve = 1 / (w2 + w3)
    tab = {t: [(Fraction(m2) * w2 + Fraction(m3) * w3) * ve
               for m2, m3 in zip(two[pairs.index(t)], three[t])] for t in tree}
    margins = []
    for c in range(d):
        w1 = 1 / v1
        acc = [Fraction(v) * w1 for v in one[c]]
        weight = w1
        for (a, b) in tree:
            if c not in (a, b):
                continue
            other = b if a == c else a
            w = 1 / (levels[other] * ve)
            t = tab[(a, b)]
            for x in range(levels[c]):
                sx = sum((t[x * levels[other] + y] if a == c else t[y * levels[c] + x])
                         for y in range(levels[other]))
                acc[x] += sx * w
            weight += w
        margins.append([v / weight for v in acc])
    totals = [sum(m) for m in margins]
    total = sum(totals) / d
    margins = [[v + (total - totals[c]) / levels[c] for v in margins[c]] for c in range(d)]
    for (a, b) in tree:
        la, lb = levels[a], levels[b]
        t = tab[(a, b)]
        rs = [sum(t[x * lb + y] for y in range(lb)) for x in range(la)]
        cs = [sum(t[x * lb + y] for x in range(la)) for y in range(lb)]
        corner = (total - sum(t)) / (la * lb)
        tab[(a, b)] = [t[x * lb + y] + (margins[a][x] - rs[x]) / lb + (margins[b][y] - cs[y]) / la
                       - corner for x in range(la) for y in range(lb)]

    def weight(q):
        return max(0, math.floor(q + Fraction(1, 2)))
    parents, seq, queue, seen = [-1] * d, [], [0], {0}
    while queue:
        p = queue.pop(0)
        for c in sorted([b for a, b in tree if a == p] + [a for a, b in tree if b == p]):
            if c not in seen:
                seen.add(c)
                parents[c] = p
                seq.append(c)
                queue.append(c)
    same("order", seq, e["order"])
    same("parents", parents, e["parents"])
    root = [weight(v) for v in margins[0]]
    same("root_weights", [str(v) for v in root], [str(v) for v in e["root_weights"]])
    cond = [[] for _ in range(d)]
    for c in seq:
        p = parents[c]
        t = tab[(min(p, c), max(p, c))]
        lp, lc = levels[p], levels[c]
        cond[c] = [[weight(t[xp * lc + xc] if p < c else t[xc * lp + xp]) for xc in range(lc)]
                   for xp in range(lp)]
    same("conditionals", cond, [[[int(v) for v in r] for r in c] for c in e["conditionals"]])
    # The sampler (§7.4).
    key = blake(b"swift-mpc/synth-sample/v1" + le64(i["sample_seed"]))
    rng = nr.Stream(key)

    def running(w, fallback):
        if not any(v > 0 for v in w):
            w = fallback if any(v > 0 for v in fallback) else [1] * len(w)
        out, acc = [], 0
        for v in w:
            acc += v
            out.append(acc)
        return out

    def pick(table):
        u = nr.uniform(rng, table[-1])
        return next(k for k, v in enumerate(table) if v > u)
    root_table = running(root, [])
    cond_tables = []
    for c in range(d):
        if not cond[c]:
            cond_tables.append([])
            continue
        summed = [sum(r[x] for r in cond[c]) for x in range(len(cond[c][0]))]
        cond_tables.append([running(r, summed) for r in cond[c]])
    rows = []
    for _ in range(i["sample_rows"]):
        row = [0] * d
        row[0] = pick(root_table)
        for c in seq:
            row[c] = pick(cond_tables[c][row[parents[c]]])
        rows.append(row)
    same("sample", rows, e["sample"])


CHECKS = {
    "field": check_field, "prg": check_prg, "field-sampling": check_field_sampling,
    "kdf": check_kdf, "masks": check_masks, "sharing": check_sharing,
    "accounting": check_accounting, "manifest-hash": check_manifest_hash,
    "messages": check_messages, "ledger": check_ledger, "transcripts": check_transcripts,
    "negative": check_negative, "calibration": check_calibration, "preface": check_preface,
    "field-auto": check_field_auto, "governance": check_governance,
}
CHECKS["synth"] = check_synth
for _kind in ["bernoulli", "bernoulli-exp", "geometric", "laplace", "gaussian-exact",
              "gaussian-table", "nb", "polya"]:
    CHECKS["noise-" + _kind] = make_noise_check(_kind)
if HAVE_CRYPTO:
    CHECKS["channel"] = check_channel


def main(argv):
    directory = argv[1] if len(argv) > 1 else "vectors"
    failed = 0
    for name in sorted(os.listdir(directory)):
        family = name[:-5]
        if not name.endswith(".json") or family not in CHECKS:
            print(f"skip  {name}")
            continue
        with open(os.path.join(directory, name)) as f:
            data = json.load(f)
        try:
            for case in data["cases"]:
                try:
                    CHECKS[family](case["input"], case["expected"])
                except Mismatch as err:
                    raise Mismatch(f"case '{case['name']}': {err}")
            print(f"ok    {name}  {len(data['cases'])} cases")
        except Mismatch as err:
            failed += 1
            print(f"FAIL  {name}  {err}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main(sys.argv)
