#!/usr/bin/env python3
"""Independent replay of vectors/*.json from protocols/ alone (informative, slow).

Written from the text of protocols/*.md, not from the Swift code, to show that the specs
suffice. It recomputes every output it can and compares it with the file:

    python3 protocols/vectors_reference.py [VECTORS_DIR]

Needs Python 3.9+ and, for `channel` and the frame cases of `negative`, the `cryptography`
package (X25519, ChaCha20-Poly1305); without it those are skipped. Not replayed here:
`calibration` (a binary64 search), the binary64 and interval operations of `accounting`,
the CSV loading of `transcripts` (its x_i are taken from the file) and the error texts of
`negative` (implementation wording).
"""
import hashlib
import json
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
    same("consumed", rng.consumed, e["consumed"])


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
    })


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
            else:
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


def check_transcripts(i, e):
    study, query = i["study"], i["query"]
    head = ledger_genesis(study)
    same("ledger_head", h(head), e["ledger_head"])
    same("manifest_hash", h(manifest_hash(study, query, head)[1]), e["manifest_hash"])
    sid = blake(b"swift-mpc/session/v1" + b"".join(unhex(c) for c in i["session_contributions"]))
    same("session_id", h(sid[:16]), e["session_id"])
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
                _, r = mask(unhex(s["secret"]), p, 1, i["study_id"], sid, i["query_id"], "result",
                            m, s["i"], s["j"])
                sign = 1 if party == s["i"] else -1
                ys[party] = [y + sign * v for y, v in zip(ys[party], r)]
        same("opened", [str(signed(sum(c), p)) for c in zip(*ys)], e["opened"])
        same("true_sum", [str(t) for t in truth], e["true_sum"])
        assert n == 3
    elif kind == "budget-exhausted":
        same("refused", Fraction(e["spent"]) + Fraction(e["cost"]) > Fraction(e["total"]), True)


CHECKS = {
    "field": check_field, "prg": check_prg, "field-sampling": check_field_sampling,
    "kdf": check_kdf, "masks": check_masks, "sharing": check_sharing,
    "accounting": check_accounting, "manifest-hash": check_manifest_hash,
    "messages": check_messages, "ledger": check_ledger, "transcripts": check_transcripts,
    "negative": check_negative,
}
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
