#!/usr/bin/env python3
"""A stand-in for lpac with LPAC_APDU=stdio, written here from lpac's documented
stdio protocol (driver/apdu/stdio.c, docs/backends/stdio.md). It sends what
`lpac chip info` sends: connect, open a channel on the ISD-R, GetEID,
EuiccConfiguredAddresses, GetRAT, EUICCInfo2 (STORE DATA in 120-byte blocks,
GET RESPONSE on 61xx), close, disconnect; then prints its result line.

Error paths: `fake_lpac.py garbage` prints a line that is not JSON (passed through)
and then an APDU request for a function lpac does not have; `usage` prints usage
text and exits 255, as lpac does with bad arguments; `http` sends one request as
lpac does with LPAC_HTTP=stdio and prints the status it got; `huge` prints a 1 MiB
request line.
"""
import json
import os
import select
import sys

# lpac selects another ISD-R AID when told (`veuicc lpac --isd-r-aid HEX` tells it).
ISD_R = os.environ.get("LPAC_CUSTOM_ISD_R_AID", "A0000005591010FFFFFFFF8900000100")


def request(func, param=None):
    print(json.dumps({"type": "apdu", "payload": {"func": func, "param": param}}), flush=True)
    reply = json.loads(sys.stdin.readline())
    assert reply["type"] == "apdu", reply
    return reply["payload"]


def transmit(apdu):
    r = request("transmit", apdu.hex().upper())
    assert r["ecode"] == 0, r
    data = bytes.fromhex(r["data"])
    return data[:-2], data[-2], data[-1]


def es10(channel, der):
    cla = 0x80 | channel
    out = b""
    blocks = [der[i:i + 120] for i in range(0, len(der), 120)]
    for n, block in enumerate(blocks):
        p1 = 0x91 if n == len(blocks) - 1 else 0x11
        data, sw1, sw2 = transmit(bytes([cla, 0xE2, p1, n, len(block)]) + block)
        out += data
        while sw1 == 0x61:
            data, sw1, sw2 = transmit(bytes([cla, 0xC0, 0x00, 0x00, sw2]))
            out += data
        if sw1 & 0xF0 != 0x90:
            fail("SW %02X%02X" % (sw1, sw2))
    return out


def fail(message):
    print(json.dumps({"type": "lpa", "payload": {"code": -1, "message": message, "data": None}}), flush=True)
    sys.exit(255)


def main():
    if sys.argv[1:] == ["garbage"]:
        print("this is not json", flush=True)
        print(json.dumps({"type": "apdu", "payload": {"func": "format_card", "param": None}}), flush=True)
        sys.stdin.readline()
        return
    if sys.argv[1:] == ["usage"]:
        print("Usage: lpac <driver|chip|profile|notification|version>", flush=True)
        sys.exit(255)
    if sys.argv[1:] == ["http"]:
        print(json.dumps({"type": "http", "payload": {
            "url": "https://smdp.example.com/gsma/rsp2/es9plus/initiateAuthentication",
            "tx": "7B7D", "headers": ["Content-Type: application/json"]}}), flush=True)
        if not select.select([sys.stdin], [], [], 10)[0]:
            fail("no answer to the HTTP request within 10 s")
        reply = json.loads(sys.stdin.readline())
        assert reply["type"] == "http", reply
        rcode = reply["payload"]["rcode"]
        bytes.fromhex(reply["payload"]["rx"])
        print(json.dumps({"type": "lpa", "payload": {"code": -1, "message": "HTTP status code error",
                                                      "data": str(rcode)}}), flush=True)
        sys.exit(255)
    if sys.argv[1:] == ["huge"]:
        print('{"type":"apdu","payload":{"func":"transmit","param":"' + "00" * (1 << 19) + '"}}', flush=True)
        sys.stdin.readline()
        return
    assert os.environ.get("LPAC_APDU") == "stdio", "run with LPAC_APDU=stdio"
    assert sys.argv[1:] == ["chip", "info"], sys.argv
    assert request("connect")["ecode"] == 0
    channel = request("logic_channel_open", ISD_R)["ecode"]
    if channel < 1:
        fail("logic_channel_open")
    eid = es10(channel, bytes.fromhex("BF3E035C015A"))
    addresses = es10(channel, bytes.fromhex("BF3C00"))
    rat = es10(channel, bytes.fromhex("BF4300"))
    info2 = es10(channel, bytes.fromhex("BF2200"))
    request("logic_channel_close", "%02X" % channel)
    request("disconnect")
    assert eid[:3] == bytes.fromhex("BF3E12") and eid[3:5] == bytes.fromhex("5A10"), eid.hex()
    print(json.dumps({"type": "lpa", "payload": {"code": 0, "message": "success", "data": {
        "eidValue": eid[5:].hex().upper(),
        "EuiccConfiguredAddresses": addresses.hex().upper(),
        "rulesAuthorisationTable": rat.hex().upper(),
        "EUICCInfo2": info2.hex().upper(),
        "channel": channel,
    }}}), flush=True)


main()
