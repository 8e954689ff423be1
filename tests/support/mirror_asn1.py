#!/usr/bin/env python3
"""Independent side of tests/mirror_asn1.rs: asn1tools compiles src/mirror/Mirror.asn as it is
(no fix-up) and judges the card's rasn types on the same sample values, both ways.

stdin: a JSON list of {"label": L, "der": HEX} — the Rust encoding of sample value L.
stdout: a JSON list of {"label": L, "type": T, "matches": bool, "error": str, "der": HEX}, where
``matches`` says asn1tools decoded the Rust DER to exactly the sample value (DEFAULT members
filled in, as asn1tools decodes them), and ``der`` is asn1tools' own encoding of the sample.
Every label of VALUES must be asked for, and every label asked for must exist: the two sides
cover the same values.
"""

import json
import os
import sys

import asn1tools

MODULE = os.path.join(os.path.dirname(__file__), "..", "..", "src", "mirror", "Mirror.asn")

TID = bytes(range(16))
TID2 = bytes(range(16, 32))
EID = bytes.fromhex("89049032123451234512345678901235")
EID2 = bytes([0x89] * 16)
ICCID = bytes.fromhex("98001032547698103251")
SIG = bytes(range(64))
CERT = bytes.fromhex("3003020101")
CERT2 = bytes.fromhex("300402020102")
ALL = (b"\xe0", 3)
DATA = (b"\x20", 3)
VOICE = (b"\x80", 1)
NONE = (b"", 0)
HASH = bytes([0xAB] * 32)
CHAL = bytes([0xCD] * 16)
OTPK = b"\x04" + bytes([0x11] * 64)
T = 1796083200
MAX64 = 2**64 - 1

POLICY_FULL = {"maxInstances": ("unlimited", None), "services": ALL, "maxTokenValidity": 86400,
               "reauthInterval": 7776000, "transferAllowed": True, "suspendWhileRoaming": True}
POLICY_MIN = {"maxInstances": ("limited", 3), "services": DATA, "maxTokenValidity": 3600,
              "reauthInterval": 60, "transferAllowed": False, "suspendWhileRoaming": False}
TOKEN_FULL = {"tokenId": TID, "sourceEid": EID, "iccid": ICCID, "mode": 1, "services": ALL, "notBefore": T,
              "notAfter": MAX64, "targetEid": EID2, "deviceClass": 5, "priority": 2}
TOKEN_MIN = {"tokenId": TID, "sourceEid": EID, "iccid": ICCID, "mode": 0, "services": DATA, "notBefore": 0,
             "notAfter": T}
SIGNED_TOKEN = {"mirrorToken": TOKEN_FULL, "euiccSignature": SIG, "euiccCertificate": CERT, "eumCertificate": CERT2}
SIGNED_TOKEN_MIN = {"mirrorToken": TOKEN_MIN, "euiccSignature": SIG, "euiccCertificate": b"", "eumCertificate": CERT}
REQUEST = {"tokenId": TID, "secondaryEid": EID2, "otPk": OTPK, "tokenHash": HASH, "secondaryChallenge": CHAL}
SIGNED_REQUEST = {"mirrorRequest": REQUEST, "euiccSignature": SIG, "euiccCertificate": CERT, "eumCertificate": CERT2}
UPDATE_FULL = {"tokenId": TID, "sourceEid": EID, "secondaryEid": EID2, "iccid": ICCID, "action": 1,
               "sequenceNumber": 4294967295, "issuedAt": T, "renewBy": T + 7776000}
UPDATE_MIN = {"tokenId": TID2, "sourceEid": EID, "secondaryEid": EID2, "iccid": ICCID, "action": 0,
              "sequenceNumber": 0, "issuedAt": T}
SIGNED_UPDATE = {"mirrorLinkUpdate": UPDATE_FULL, "euiccSignature": SIG}
SIGNED_UPDATE_MIN = {"mirrorLinkUpdate": UPDATE_MIN, "euiccSignature": SIG}
LINK_FULL = {"tokenId": TID, "iccid": ICCID, "state": 2, "mode": 0, "services": VOICE, "notAfter": T,
             "secondaryEid": EID2, "deviceClass": 2, "priority": 0, "linkedAt": T, "renewBy": T + 60}
LINK_MIN = {"tokenId": TID2, "iccid": ICCID, "state": 6, "mode": 0, "services": NONE, "notAfter": T}
INSTANCE_FULL = {"sourceEid": EID, "tokenId": TID, "services": ALL, "renewBy": T, "state": 3, "deviceClass": 4,
                 "priority": 1}
INSTANCE_MIN = {"sourceEid": EID, "tokenId": TID, "services": DATA, "renewBy": 0, "state": 2}
PROFILE_PRIMARY = {"iccid": ICCID, "role": 1, "policy": POLICY_MIN, "liveInstances": 255}
PROFILE_SECONDARY = {"iccid": ICCID, "role": 2, "instance": INSTANCE_FULL}
PROFILE_NONE = {"iccid": ICCID, "role": 0}
ISSUE_FULL = {"iccid": ICCID, "mode": 0, "services": ALL, "validity": 86400, "targetEid": EID2, "deviceClass": 2,
              "priority": 2}
ISSUE_MIN = {"iccid": ICCID, "mode": 1, "services": DATA, "validity": 4294967295}

VALUES = {
    "MirrorPolicy/full": ("MirrorPolicy", POLICY_FULL),
    "MirrorPolicy/min": ("MirrorPolicy", POLICY_MIN),
    "MirrorToken/full": ("MirrorToken", TOKEN_FULL),
    "MirrorToken/min": ("MirrorToken", TOKEN_MIN),
    "SignedMirrorToken/full": ("SignedMirrorToken", SIGNED_TOKEN),
    "SignedMirrorToken/min": ("SignedMirrorToken", SIGNED_TOKEN_MIN),
    "MirrorRequest": ("MirrorRequest", REQUEST),
    "SignedMirrorRequest": ("SignedMirrorRequest", SIGNED_REQUEST),
    "MirrorLinkUpdate/full": ("MirrorLinkUpdate", UPDATE_FULL),
    "MirrorLinkUpdate/min": ("MirrorLinkUpdate", UPDATE_MIN),
    "SignedMirrorLinkUpdate": ("SignedMirrorLinkUpdate", SIGNED_UPDATE),
    "MirrorLink/full": ("MirrorLink", LINK_FULL),
    "MirrorLink/min": ("MirrorLink", LINK_MIN),
    "MirrorInstanceInfo/min": ("MirrorInstanceInfo", INSTANCE_MIN),
    "MirrorProfileInfo/primary": ("MirrorProfileInfo", PROFILE_PRIMARY),
    "MirrorProfileInfo/secondary": ("MirrorProfileInfo", PROFILE_SECONDARY),
    "MirrorProfileInfo/none": ("MirrorProfileInfo", PROFILE_NONE),
    "IssueMirrorTokenRequest/full": ("IssueMirrorTokenRequest", ISSUE_FULL),
    "IssueMirrorTokenRequest/min": ("IssueMirrorTokenRequest", ISSUE_MIN),
    "IssueMirrorTokenResponse/issued": ("IssueMirrorTokenResponse",
                                        ("issued", {"signedMirrorToken": SIGNED_TOKEN, "numericCode": "04711235"})),
    "IssueMirrorTokenResponse/error": ("IssueMirrorTokenResponse", ("mirrorError", 2)),
    "RedeemMirrorCodeRequest/full": ("RedeemMirrorCodeRequest", {"numericCode": "00000000", "iccid": ICCID}),
    "RedeemMirrorCodeRequest/min": ("RedeemMirrorCodeRequest", {"numericCode": "99999999"}),
    "RedeemMirrorCodeResponse/token": ("RedeemMirrorCodeResponse", ("signedMirrorToken", SIGNED_TOKEN_MIN)),
    "RedeemMirrorCodeResponse/error": ("RedeemMirrorCodeResponse", ("mirrorError", 10)),
    "BeginMirrorRequest": ("BeginMirrorRequest", {"signedMirrorToken": SIGNED_TOKEN}),
    "BeginMirrorResponse/request": ("BeginMirrorResponse", ("signedMirrorRequest", SIGNED_REQUEST)),
    "BeginMirrorResponse/error": ("BeginMirrorResponse", ("mirrorError", 14)),
    "ExportMirrorRequest": ("ExportMirrorRequest", {"signedMirrorRequest": SIGNED_REQUEST}),
    "ExportMirrorResponse/package": ("ExportMirrorResponse", ("boundProfilePackage", bytes.fromhex("BF3603A00100"))),
    "ExportMirrorResponse/error": ("ExportMirrorResponse", ("mirrorError", 8)),
    "ConfirmMirrorRequest": ("ConfirmMirrorRequest", {"profileInstallationResult": bytes.fromhex("BF3700")}),
    "ConfirmMirrorResponse/link": ("ConfirmMirrorResponse", ("mirrorLink", LINK_FULL)),
    "ConfirmMirrorResponse/error": ("ConfirmMirrorResponse", ("mirrorError", 127)),
    "RevokeMirrorRequest/token": ("RevokeMirrorRequest", {"link": ("tokenId", TID)}),
    "RevokeMirrorRequest/eid": ("RevokeMirrorRequest", {"link": ("secondaryEid", EID2)}),
    "RevokeMirrorResponse/revocation": ("RevokeMirrorResponse", ("revocation", SIGNED_UPDATE_MIN)),
    "RevokeMirrorResponse/voided": ("RevokeMirrorResponse", ("tokenVoided", None)),
    "RevokeMirrorResponse/error": ("RevokeMirrorResponse", ("mirrorError", 17)),
    "ApplyMirrorRevocationRequest": ("ApplyMirrorRevocationRequest", {"revocation": SIGNED_UPDATE_MIN}),
    "ApplyMirrorRevocationResponse": ("ApplyMirrorRevocationResponse", {"mirrorResult": 18}),
    "RenewMirrorRequest": ("RenewMirrorRequest", {"link": ("secondaryEid", EID2)}),
    "RenewMirrorResponse/renewal": ("RenewMirrorResponse", ("renewal", SIGNED_UPDATE)),
    "RenewMirrorResponse/error": ("RenewMirrorResponse", ("mirrorError", 17)),
    "ApplyMirrorRenewalRequest": ("ApplyMirrorRenewalRequest", {"renewal": SIGNED_UPDATE}),
    "ApplyMirrorRenewalResponse": ("ApplyMirrorRenewalResponse", {"mirrorResult": 0}),
    "SuspendMirrorRequest/one": ("SuspendMirrorRequest", {"link": ("tokenId", TID)}),
    "SuspendMirrorRequest/all": ("SuspendMirrorRequest", {}),
    "SuspendMirrorResponse/list": ("SuspendMirrorResponse", ("suspensions", [SIGNED_UPDATE, SIGNED_UPDATE_MIN])),
    "SuspendMirrorResponse/empty": ("SuspendMirrorResponse", ("suspensions", [])),
    "SuspendMirrorResponse/error": ("SuspendMirrorResponse", ("mirrorError", 19)),
    "ResumeMirrorRequest/one": ("ResumeMirrorRequest", {"link": ("secondaryEid", EID)}),
    "ResumeMirrorRequest/all": ("ResumeMirrorRequest", {}),
    "ResumeMirrorResponse/list": ("ResumeMirrorResponse", ("resumptions", [SIGNED_UPDATE_MIN])),
    "ResumeMirrorResponse/error": ("ResumeMirrorResponse", ("mirrorError", 21)),
    "ApplyMirrorSuspensionRequest": ("ApplyMirrorSuspensionRequest", {"update": SIGNED_UPDATE}),
    "ApplyMirrorSuspensionResponse": ("ApplyMirrorSuspensionResponse", {"mirrorResult": 22}),
    "ListMirrorLinksRequest/iccid": ("ListMirrorLinksRequest", {"iccid": ICCID}),
    "ListMirrorLinksRequest/all": ("ListMirrorLinksRequest", {}),
    "ListMirrorLinksResponse/links": ("ListMirrorLinksResponse", ("mirrorLinks", [LINK_FULL, LINK_MIN])),
    "ListMirrorLinksResponse/error": ("ListMirrorLinksResponse", ("mirrorError", 20)),
    "GetMirrorInfoRequest/iccid": ("GetMirrorInfoRequest", {"iccid": ICCID}),
    "GetMirrorInfoRequest/all": ("GetMirrorInfoRequest", {}),
    "GetMirrorInfoResponse/profiles": ("GetMirrorInfoResponse",
                                       ("mirrorProfiles", [PROFILE_PRIMARY, PROFILE_SECONDARY, PROFILE_NONE])),
    "GetMirrorInfoResponse/error": ("GetMirrorInfoResponse", ("mirrorError", 1)),
}


def main():
    spec = asn1tools.compile_files(MODULE, "der")
    asked = json.load(sys.stdin)
    out = []
    for item in asked:
        label = item["label"]
        if label not in VALUES:
            out.append({"label": label, "type": "?", "matches": False, "error": "no such sample here", "der": ""})
            continue
        ty, value = VALUES[label]
        entry = {"label": label, "type": ty, "der": spec.encode(ty, value).hex().upper(), "error": ""}
        try:
            decoded = spec.decode(ty, bytes.fromhex(item["der"]))
            entry["matches"] = decoded == value
            if not entry["matches"]:
                entry["error"] = f"decoded {decoded!r}, expected {value!r}"
        except Exception as e:  # a decode failure is a finding, reported
            entry["matches"] = False
            entry["error"] = f"asn1tools cannot decode: {e}"
        out.append(entry)
    missing = sorted(set(VALUES) - {i["label"] for i in asked})
    json.dump({"results": out, "missing": missing, "types": sorted(spec.types)}, sys.stdout)


main()
