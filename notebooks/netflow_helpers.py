"""Helpers for reading netflow-analyzer's cold tier from Python notebooks.

The Iceberg table stores every address (exporter, src_addr, dst_addr) as 16
bytes, big-endian, with IPv4 mapped into ::ffff:0:0/96 (iceberg/src/flows/ip.ts).
One length for both families keeps byte order equal to address order, so a
CIDR is one contiguous byte range and Parquet min/max statistics prune it.

>>> decode_addr(bytes.fromhex("00000000000000000000ffff0a140001"))
'10.20.0.1'
>>> decode_addr(bytes.fromhex("fd000020000000000000000000000001"))
'fd00:20::1'
>>> decode_addr(None) is None
True
>>> lo, hi = cidr_range("10.20.0.0/16")
>>> lo.hex(), hi.hex()
('00000000000000000000ffff0a140000', '00000000000000000000ffff0a14ffff')
>>> lo, hi = cidr_range("2001:db8::/32")
>>> decode_addr(lo), decode_addr(hi)
('2001:db8::', '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff')
>>> encode_addr("192.0.2.7") == cidr_range("192.0.2.7")[0] == cidr_range("192.0.2.7")[1]
True
>>> cidr_range("10.0.0.0/33")
Traceback (most recent call last):
...
ValueError: invalid network: '10.0.0.0/33'
"""

import ipaddress

_V4_MAPPED_PREFIX = bytes(10) + b"\xff\xff"


def encode_addr(text):
    """The 16-byte storage form of an IPv4 or IPv6 address."""
    addr = ipaddress.ip_address(text)
    if addr.version == 4:
        return _V4_MAPPED_PREFIX + addr.packed
    return addr.packed


def decode_addr(value):
    """The canonical text of a 16-byte stored address: dotted quad for IPv4, RFC 5952 for IPv6.

    None (a null column) stays None, so it can be mapped over a whole column.
    """
    if value is None:
        return None
    value = bytes(value)
    if len(value) != 16:
        raise ValueError(f"an address is 16 bytes, got {len(value)}")
    if value[:12] == _V4_MAPPED_PREFIX:
        return str(ipaddress.IPv4Address(value[12:]))
    return str(ipaddress.IPv6Address(value))


def cidr_range(cidr):
    """The inclusive 16-byte range (lo, hi) of a network ("10.0.0.0/8", "2001:db8::/32", or one address).

    Use it as two comparisons in a row filter:
    ``And(GreaterThanOrEqual("src_addr", lo), LessThanOrEqual("src_addr", hi))``.
    Host bits in the input are ignored (strict=False), as Postgres' ``<<=`` would.
    """
    try:
        net = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        raise ValueError(f"invalid network: {cidr!r}") from None
    lo, hi = net.network_address.packed, net.broadcast_address.packed
    if net.version == 4:
        return _V4_MAPPED_PREFIX + lo, _V4_MAPPED_PREFIX + hi
    return lo, hi


if __name__ == "__main__":
    import doctest
    import sys

    failures, _ = doctest.testmod()
    sys.exit(1 if failures else 0)
