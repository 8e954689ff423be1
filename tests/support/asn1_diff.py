#!/usr/bin/env python3
"""Independent side of tests/asn1_differential.rs.

Compiles the SGP.22 v2.5 module (`$VEUICC_SHARED/spec/asn1/sgp22-v2.5/RSPDefinitions.asn`), or with
the argument ``v3.0`` the repaired v3.0 module (``sgp22-v3.0-fixed/RSPDefinitions-v3.0.asn``), with
asn1tools and answers one JSON request per line on stdin:

* ``{"op": "types"}`` -> the module's type names.
* ``{"op": "generate", "types": [...], "count": N, "seed": S}`` -> for each type, N random values
  that respect the module's constraints, DER-encoded by asn1tools (``"case": "valid"``), plus, for
  every SIZE-constrained field reachable from the type, one value that breaks that constraint
  (``"case": "size"``, ``"path"`` names the field).
  With ``"avoid": [SUFFIX, ...]``, a CHOICE never picks an alternative whose path ends in one of
  the suffixes (a known difference between asn1tools and X.680 that the test states itself).
* ``{"op": "decode", "type": T, "der": HEX}`` -> asn1tools decodes the DER and re-encodes it:
  ``{"ok": true, "der": HEX}`` or ``{"ok": false, "error": ...}``.

The module fix-up (the only edit, recorded here and in the test): asn1tools cannot compile the
information-object class ``OPENTYPE ::= CLASS { &typeId OBJECT IDENTIFIER, &Type }`` that
``VendorSpecificExtension`` uses, so the class is removed and its two fields are written as what
they denote: ``vendorOid [0] OBJECT IDENTIFIER`` and ``vendorSpecificData [1] ANY`` (a tagged open
type is explicitly tagged, X.680 §31.2.7, which is also how asn1tools tags ``ANY``). DER is
unchanged by the edit. The SAIP module imported for ``UICCCapability`` is TCA PE 3.3.1.
"""

import datetime
import json
import os
import random
import sys

import asn1tools

SHARED = os.environ["VEUICC_SHARED"]
ASN1 = os.path.join(SHARED, "spec", "asn1")

OPENTYPE_CLASS = """OPENTYPE ::= CLASS {
  &typeId OBJECT IDENTIFIER,
  &Type
}"""


# argv[1] == "v3.0": the SGP.22 v3.0 module as repaired in the shared folder
# (`sgp22-v3.0-fixed/`, its FIXES.md lists each repair; it needs no fix-up here).
V3 = len(sys.argv) > 1 and sys.argv[1] == "v3.0"


def module_text():
    if V3:
        with open(os.path.join(ASN1, "sgp22-v3.0-fixed", "RSPDefinitions-v3.0.asn"), encoding="utf-8") as f:
            return f.read()
    with open(os.path.join(ASN1, "sgp22-v2.5", "RSPDefinitions.asn"), encoding="utf-8") as f:
        src = f.read()
    for old, new in [
        (OPENTYPE_CLASS, ""),
        ("vendorOid [0] OPENTYPE.&typeId", "vendorOid [0] OBJECT IDENTIFIER"),
        ("vendorSpecificData [1] OPENTYPE.&Type", "vendorSpecificData [1] EXPLICIT ANY"),
    ]:
        if old not in src:
            raise SystemExit(f"module fix-up no longer applies: {old!r} not found")
        src = src.replace(old, new)
    return src


def compile_module():
    src = module_text()
    others = [
        os.path.join(ASN1, "pkix", "PKIX1Explicit88.asn"),
        os.path.join(ASN1, "pkix", "PKIX1Implicit88.asn"),
        os.path.join(ASN1, "saip", "PE_Definitions-3.3.1.asn"),
    ]
    texts = [src] + [open(p, encoding="utf-8").read() for p in others]
    compiled = asn1tools.compile_string("\n".join(texts), "der")
    parsed = asn1tools.parse_string("\n".join(texts))
    return compiled, parsed


COMPILED, PARSED = compile_module()
RSP = PARSED["RSPDefinitions"]["types"]
PE = PARSED["PEDefinitions"]["types"]


def lookup(name):
    if name in RSP:
        return RSP[name]
    if name in PE:
        return PE[name]
    return None


def certificates():
    """Real certificates (the SGP.26 test PKI) as asn1tools values, for every `Certificate` field."""
    folder = os.path.join(SHARED, "fixtures", "sgp26")
    out = []
    for name in sorted(os.listdir(folder)):
        if name.endswith(".der") and "nist" in name:
            with open(os.path.join(folder, name), "rb") as f:
                der = f.read()
            out.append(COMPILED.decode("Certificate", der))
    return out


CERTS = certificates()


class Gen:
    """Random values for a parsed asn1tools type, within its constraints."""

    def __init__(self, rng):
        self.rng = rng
        self.violate = None  # the path whose SIZE constraint to break
        self.sized_paths = []  # every SIZE-constrained path seen while generating
        self.avoid = []  # CHOICE alternatives (path suffixes) never picked

    def size_range(self, sizes):
        lo, hi = None, None
        for s in sizes:
            if isinstance(s, (list, tuple)):
                a, b = s
                lo = a if lo is None else min(lo, a)
                hi = b if (hi is None or b == "MAX") else (hi if hi == "MAX" else max(hi, b))
            else:
                lo = s if lo is None else min(lo, s)
                hi = s if hi is None else (hi if hi == "MAX" else max(hi, s))
        if hi == "MAX":
            hi = None
        return lo, hi

    def pick_len(self, path, sizes, default_max):
        if sizes:
            lo, hi = self.size_range(sizes)
            self.sized_paths.append(path)
            if self.violate == path:
                if hi is not None:
                    return hi + 1
                return max(lo - 1, 0)
            hi = default_max if hi is None else hi
            if self.rng.random() < 0.3:
                return self.rng.choice([lo, hi])
            return self.rng.randint(lo, min(hi, max(lo, default_max)))
        return self.rng.randint(0, default_max)

    def value(self, t, path, sizes=None, depth=0):
        sizes = sizes or t.get("size")
        kind = t["type"]
        ref = lookup(kind)
        if ref is not None:
            # A reference: the referencing site may add its own SIZE.
            return self.value(ref, path, sizes or ref.get("size"), depth)
        r = self.rng
        if kind == "SEQUENCE" or kind == "SET":
            out = {}
            for m in t["members"]:
                if not isinstance(m, dict):
                    continue  # extension marker
                mpath = f"{path}.{m['name']}"
                optional = m.get("optional") or "default" in m
                if optional and self.violate is None and r.random() < 0.4:
                    continue
                if optional and self.violate is not None and not self.violate.startswith(mpath):
                    if r.random() < 0.5:
                        continue
                out[m["name"]] = self.value(m, mpath, depth=depth + 1)
            return out
        if kind in ("SEQUENCE OF", "SET OF"):
            n = self.pick_len(path, sizes, 3 if depth < 4 else 1)
            return [self.value(t["element"], f"{path}[]", depth=depth + 1) for _ in range(n)]
        if kind == "CHOICE":
            members = [m for m in t["members"] if isinstance(m, dict)]
            members = [m for m in members if not any(f"{path}.{m['name']}".endswith(a) for a in self.avoid)] or members
            if self.violate is not None:
                want = [m for m in members if self.violate.startswith(f"{path}.{m['name']}")]
                if want:
                    members = want
            m = r.choice(members)
            return (m["name"], self.value(m, f"{path}.{m['name']}", depth=depth + 1))
        if kind == "INTEGER":
            named = t.get("named-numbers")
            if named and r.random() < 0.8:
                return r.choice(list(named.values()))
            rt = t.get("restricted-to")
            if rt:
                lo, hi = rt[0] if isinstance(rt[0], (list, tuple)) else (rt[0], rt[0])
                lo = -(2**31) if lo == "MIN" else lo
                hi = 2**31 - 1 if hi == "MAX" else hi
                return r.randint(lo, hi)
            return r.choice([0, 1, 127, 128, 255, 256, -1, r.randint(-(2**31), 2**31 - 1)])
        if kind == "ENUMERATED":
            return r.choice([v[0] if isinstance(v, (list, tuple)) else v for v in t["values"] if v != "..."])
        if kind == "BOOLEAN":
            return r.random() < 0.5
        if kind == "NULL":
            return None
        if kind == "OCTET STRING":
            n = self.pick_len(path, sizes, 24)
            return bytes(r.getrandbits(8) for _ in range(n))
        if kind == "BIT STRING":
            named = t.get("named-bits")
            if named:
                top = max(int(b) for _, b in named)
                nbits = r.randint(0, top + 1)
            else:
                nbits = self.pick_len(path, sizes, 24) if sizes else r.randint(0, 24)
            bits = [r.random() < 0.5 for _ in range(nbits)]
            if named and bits:
                bits[-1] = True  # DER: a named-bit list has no trailing zero bits (X.690 §11.2.2)
            data = bytearray((nbits + 7) // 8)
            for i, b in enumerate(bits):
                if b:
                    data[i // 8] |= 0x80 >> (i % 8)
            return (bytes(data), nbits)
        if kind in ("UTF8String", "IA5String", "PrintableString", "VisibleString"):
            n = self.pick_len(path, sizes, 12)
            alphabet = "abcxyz.-019ABC" if kind != "UTF8String" else "abc.-09Zé€ü漢"
            return "".join(r.choice(alphabet) for _ in range(n))
        if kind == "GeneralizedTime":
            # DER (X.690 §11.7): UTC, "Z", no fraction.
            return datetime.datetime(r.randint(2000, 2099), r.randint(1, 12), r.randint(1, 28),
                                     r.randint(0, 23), r.randint(0, 59), r.randint(0, 59))
        if kind == "OBJECT IDENTIFIER":
            first = r.randint(0, 2)
            second = r.randint(0, 39) if first < 2 else r.randint(0, 300)
            arcs = [first, second] + [r.choice([0, 1, 127, 128, 16383, 16384, r.randint(0, 2**28)]) for _ in range(r.randint(0, 5))]
            return ".".join(str(a) for a in arcs)
        if kind == "ANY":
            body = bytes(r.getrandbits(8) for _ in range(r.randint(0, 10)))
            return bytes([0x04, len(body)]) + body
        if kind == "Certificate":
            return r.choice(CERTS)
        if kind == "SubjectKeyIdentifier":
            return bytes(r.getrandbits(8) for _ in range(20))
        raise SystemExit(f"generator: no rule for type {kind!r} at {path}")


def generate(types, count, seed, avoid=()):
    rng = random.Random(seed)
    out = []
    for name in types:
        t = lookup(name)
        if t is None:
            raise SystemExit(f"type {name} is not in the module")
        g = Gen(rng)
        g.avoid = list(avoid)
        for _ in range(count):
            v = g.value(t, name)
            out.append({"type": name, "case": "valid", "der": COMPILED.encode(name, v).hex()})
        for path in sorted(set(g.sized_paths)):
            g2 = Gen(rng)
            g2.avoid = list(avoid)
            g2.violate = path
            v = g2.value(t, name)
            if path in g2.sized_paths:
                out.append({"type": name, "case": "size", "path": path, "der": COMPILED.encode(name, v).hex()})
    return out


def main():
    for line in sys.stdin:
        req = json.loads(line)
        op = req["op"]
        if op == "types":
            resp = {"types": sorted(RSP.keys())}
        elif op == "generate":
            resp = {"values": generate(req["types"], req["count"], req["seed"], req.get("avoid", []))}
        elif op == "decode":
            try:
                v = COMPILED.decode(req["type"], bytes.fromhex(req["der"]))
                resp = {"ok": True, "der": COMPILED.encode(req["type"], v).hex()}
            except Exception as e:  # noqa: BLE001 - any failure is the answer
                resp = {"ok": False, "error": f"{type(e).__name__}: {e}"}
        else:
            resp = {"error": f"unknown op {op}"}
        sys.stdout.write(json.dumps(resp) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
