#!/usr/bin/env python3
"""Independent decoder for veuicc's SAIP test packages (tests/saip.rs).

Usage: saip_decode.py PE_Definitions.asn package.der

Compiles the TCA PEDefinitions with asn1tools (DER codec), decodes the package one
ProfileElement at a time and prints JSON: each element's CHOICE name, length and
identification, plus the values the test compares (header iccid, EF.ICCID, EF.IMSI, K, OPc).
Exit status 2 when asn1tools is not installed, 1 when decoding fails.
"""
import json
import sys

try:
    import asn1tools
except ImportError:
    print("skipped: pip install asn1tools", file=sys.stderr)
    sys.exit(2)


def file_content(items):
    """Concatenated fillFileContent of a File (SEQUENCE OF CHOICE)."""
    return b"".join(v for k, v in items if k == "fillFileContent").hex()


def main():
    spec = asn1tools.compile_files(sys.argv[1], "der")
    data = open(sys.argv[2], "rb").read()
    out = {"elements": [], "values": {}}
    pos = 0
    while pos < len(data):
        (name, pe), length = spec.decode_with_length("ProfileElement", data[pos:])
        # Re-encoding must give the same bytes: the package is DER. asn1tools fills in DEFAULT
        # values on decode; sqnInit's default ('000000000000'H for a SEQUENCE OF) cannot be
        # re-encoded, so drop it (a present sqnInit is a list and stays).
        if name == "akaParameter" and not isinstance(pe.get("sqnInit", []), list):
            del pe["sqnInit"]
        if spec.encode("ProfileElement", (name, pe)) != data[pos:pos + length]:
            raise SystemExit("element %s at %d is not canonical DER" % (name, pos))
        ident = None
        for key, value in pe.items():
            if key.endswith("-header") or key.endswith("-Header"):
                ident = value["identification"]
        out["elements"].append({"name": name, "offset": pos, "length": length, "identification": ident})
        v = out["values"]
        if name == "header":
            v["header_iccid"] = pe["iccid"].hex()
            v["major"], v["minor"] = pe["major-version"], pe["minor-version"]
            v["services"] = sorted(pe["eUICC-Mandatory-services"].keys())
            v["templates"] = list(pe["eUICC-Mandatory-GFSTEList"])
        elif name == "mf":
            v["ef_iccid"] = file_content(pe["ef-iccid"])
            v["ef_dir"] = file_content(pe["ef-dir"])
        elif name == "usim":
            v["ef_imsi"] = file_content(pe["ef-imsi"])
            v["usim_aid"] = [x for k, x in pe["adf-usim"] if k == "fileDescriptor"][0]["dfName"].hex()
        elif name == "akaParameter":
            kind, algo = pe["algoConfiguration"]
            v["aka"] = {"choice": kind, "algorithmID": algo.get("algorithmID"),
                        "key": algo["key"].hex(), "opc": algo["opc"].hex()}
        elif name == "pinCodes":
            kind, pins = pe["pinCodes"]
            v.setdefault("pins", []).extend([p["keyReference"], p["pinValue"].hex()] for p in pins)
        pos += length
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
