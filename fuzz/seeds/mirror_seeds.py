#!/usr/bin/env python3
"""Writes the hand-made seeds of the mirror fuzz targets (fuzz/seeds/mirror_decode/ and
fuzz/seeds/mirror_card/). Run from the repository root: python3 fuzz/seeds/mirror_seeds.py"""
import os

def tlv(tag, value):
    n = len(value)
    if n < 0x80:
        l = bytes([n])
    elif n < 0x100:
        l = bytes([0x81, n])
    else:
        l = bytes([0x82, n >> 8, n & 0xFF])
    return bytes(tag) + l + value

def uint(tag, v):
    b = v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big")
    return tlv(tag, b)

SOURCE = bytes.fromhex("98001032547698103251")
EID = bytes.fromhex("89999001000010000000000000000038")
TOKEN = bytes(range(16))
SERVICES = bytes([0x05, 0xA0])  # voice + data
POLICY = bytes.fromhex("3013a003800103810205e08203015180830376a700")
POLICY_OID = bytes.fromhex("6982c0aaab86fad6aaadff89f2c6e2a385baf50c0101")
T0 = 1_796_083_200

token = tlv([0x30], tlv([0x80], TOKEN) + tlv([0x81], EID) + tlv([0x82], SOURCE) + uint([0x83], 0)
                    + tlv([0x84], SERVICES) + uint([0x85], T0) + uint([0x86], T0 + 3600) + tlv([0x87], EID)
                    + uint([0x88], 2) + uint([0x89], 0))
signed_token = tlv([0x30], token + tlv([0x5F, 0x37], bytes(64)) + tlv([0x80], b"\x30\x00") + tlv([0x81], b"\x30\x00"))
update = tlv([0x30], tlv([0x80], TOKEN) + tlv([0x81], EID) + tlv([0x82], EID) + tlv([0x83], SOURCE) + uint([0x84], 0)
                     + uint([0x85], 1) + uint([0x86], T0) + uint([0x87], T0 + 86400))
signed_update = tlv([0x30], update + tlv([0x5F, 0x37], bytes(64)))
request = tlv([0x30], tlv([0x80], TOKEN) + tlv([0x81], EID) + tlv([0x82], b"\x04" + bytes(64)) + tlv([0x83], bytes(32))
                      + tlv([0x84], bytes(16)))
signed_request = tlv([0x30], request + tlv([0x5F, 0x37], bytes(64)) + tlv([0x80], b"\x30\x00") + tlv([0x81], b"\x30\x00"))
link = tlv([0x30], tlv([0x80], TOKEN) + tlv([0x81], SOURCE) + uint([0x82], 2) + uint([0x83], 0) + tlv([0x84], SERVICES)
                   + uint([0x85], T0 + 3600) + tlv([0x86], EID) + uint([0x87], 2) + uint([0x88], 0) + uint([0x89], T0)
                   + uint([0x8A], T0 + 90 * 86400))
entry = tlv([0x30], tlv([0x80], TOKEN) + uint([0x81], 2) + uint([0x82], 0) + uint([0x83], 5) + uint([0x84], T0)
                    + uint([0x85], T0 + 3600) + tlv([0x89], b"12345678") + uint([0x8A], 0) + tlv([0x8B], signed_token)
                    + tlv([0x8C], EID))
record = tlv([0x30], uint([0x80], 3) + tlv([0xA1], entry))
instance = tlv([0x30], tlv([0x80], EID) + tlv([0x81], TOKEN) + uint([0x82], 5) + uint([0x83], T0) + uint([0x84], 2)
                       + tlv([0x87], b"\x30\x00") + uint([0x88], 1))
info = tlv([0x30], tlv([0x80], SOURCE) + uint([0x81], 1) + tlv([0xA2], POLICY[2:]) + uint([0x83], 1))

decode = {
    "list_links_request": [0] + list(tlv([0xFF, 0x4C], tlv([0x80], SOURCE))),
    "redeem_request": [0] + list(tlv([0xFF, 0x41], tlv([0x80], b"12345678"))),
    "revoke_request": [0] + list(tlv([0xFF, 0x45], tlv([0xA0], tlv([0x80], TOKEN)))),
    "begin_request": [0] + list(tlv([0xFF, 0x42], tlv([0xA0], signed_token[2:]))),
    "apply_renewal_request": [0] + list(tlv([0xFF, 0x48], tlv([0xA0], signed_update[2:]))),
    "issue_error": [1] + list(bytes.fromhex("ff4003810104")),
    "revoke_voided": [6] + list(bytes.fromhex("ff45028100")),
    "apply_result": [7] + list(tlv([0xFF, 0x46], uint([0x80], 0))),
    "list_links": [13] + list(tlv([0xFF, 0x4C], tlv([0xA0], link))),
    "mirror_info": [14] + list(tlv([0xFF, 0x4D], tlv([0xA0], info))),
    "signed_token": [15] + list(signed_token),
    "signed_request": [16] + list(signed_request),
    "signed_update": [17] + list(signed_update),
    "policy": [18] + list(POLICY),
    "link": [19] + list(link),
    "policy_of": [23] + list(tlv([0x30], tlv([0x30], tlv([0x80], POLICY_OID) + tlv([0xA1], POLICY)))),
    "record": [24] + list(record),
    "instance": [25] + list(instance),
}

def step_raw(card, t, body):
    return bytes([card, t, len(body)]) + body

card = {
    # ListMirrorLinks, GetMirrorInfo on both.
    "list_info": step_raw(0, 0x0C, b"") + step_raw(1, 0x0D, b"") + step_raw(0, 0x0D, tlv([0x80], SOURCE)),
    # Issue a token, revoke it (voided), renew the link, deliver intact.
    "issue_revoke_renew": bytes([2, 0x07, 1, 3, 4, 4, 0, 4, 0, 0]),
    # Suspend all, deliver; replay; resume all, deliver mutated.
    "suspend_resume": bytes([5, 0x80, 0, 7, 0, 6, 0x80, 1, 0, 40, 0x10]),
    # Revoke the link by EID, deliver; pair again; advance clocks; power cycles.
    "revoke_repair": bytes([3, 2, 0, 2, 0x17, 1, 8, 2, 9, 4, 10, 1, 11, 0, 4, 4, 0]),
    # Malformed mirror requests and the unused tags.
    "malformed": step_raw(0, 0x80, b"\x05\x80\x01") + step_raw(1, 0x0E, b"") + step_raw(1, 0x06, b"\x30\x00"),
}

for name, blobs in (("mirror_decode", decode), ("mirror_card", card)):
    os.makedirs(f"fuzz/seeds/{name}", exist_ok=True)
    for seed, data in blobs.items():
        with open(f"fuzz/seeds/{name}/{seed}", "wb") as f:
            f.write(bytes(data))
