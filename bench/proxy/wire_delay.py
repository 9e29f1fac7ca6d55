#!/usr/bin/env python3
"""Issue 4, part 2, measured on the wire: how long each SSE event spends inside the proxy.

Reads a pcap of the loopback interface (tcpdump -w, nanosecond or microsecond timestamps)
holding the proxy's connections to the backend and to its clients, and for every event of
every stream takes the capture time of the packet that completed it on the way in (backend ->
proxy) and on the way out (proxy -> client). The difference is the delay the proxy added to
that event, free of the client's and the backend's own scheduling jitter, which a
client-side paired comparison (fidelity.mjs) cannot separate from it.

  wire_delay.py capture.pcap BACKEND_PORT PROXY_PORT
"""
import struct
import sys


def packets(path):
    """(timestamp_s, src_port, dst_port, src_ip, dst_ip, payload) of the TCP packets."""
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic == 0xA1B2C3D4:
        scale = 1e-6
    elif magic == 0xA1B23C4D:
        scale = 1e-9
    else:
        sys.exit(f"{path}: not a little-endian pcap file")
    linktype = struct.unpack("<I", data[20:24])[0]
    pos = 24
    while pos + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack("<IIII", data[pos:pos + 16])
        frame = data[pos + 16:pos + 16 + incl]
        pos += 16 + incl
        if linktype == 1:  # Ethernet (lo shows as Ethernet with zero addresses)
            if len(frame) < 14 or struct.unpack(">H", frame[12:14])[0] != 0x0800:
                continue
            ip = frame[14:]
        elif linktype == 113:  # Linux cooked capture
            ip = frame[16:]
        else:
            sys.exit(f"unsupported link type {linktype}")
        if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 6:
            continue
        ihl = (ip[0] & 15) * 4
        total = struct.unpack(">H", ip[2:4])[0]
        tcp = ip[ihl:total]
        sport, dport = struct.unpack(">HH", tcp[:4])
        offset = (tcp[12] >> 4) * 4
        payload = tcp[offset:]
        if payload:
            yield sec + frac * scale, sport, dport, ip[12:16], ip[16:20], payload


def events_of(segments):
    """[(time the event's end arrived, event text)] of one direction of a connection."""
    buffer = b""
    times = []  # (end offset in buffer, timestamp) per segment
    out = []
    for t, payload in segments:
        buffer += payload
        times.append((len(buffer), t))
    # Only the data lines matter; chunk-size lines and headers are skipped by looking for the
    # "data: ... \n\n" events themselves.
    start = 0
    while True:
        begin = buffer.find(b"data: ", start)
        if begin < 0:
            break
        end = buffer.find(b"\n\n", begin)
        if end < 0:
            break
        end += 2
        when = next(t for limit, t in times if limit >= end)
        out.append((when, buffer[begin:end]))
        start = end
    return out


def percentile(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    k = min(len(values) - 1, max(0, int(round(p / 100 * (len(values) - 1)))))
    return values[k]


def main():
    path, backend_port, proxy_port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    flows = {}
    for t, sport, dport, sip, dip, payload in packets(path):
        flows.setdefault((sport, sip, dport, dip), []).append((t, payload))
    # Which client each backend exchange serves: the X-Forwarded-For of the request the proxy
    # sent on that backend connection (lmp_load binds every stream to its own loopback address).
    requests = {}  # proxy's local port of a backend connection -> [(time, client address)]
    for (sport, _, dport, _), segments in flows.items():
        if dport != backend_port:
            continue
        for t, payload in segments:
            for line in payload.split(b"\r\n"):
                if line.lower().startswith(b"x-forwarded-for:"):
                    client = line.split(b":", 1)[1].split(b",")[-1].strip().decode()
                    requests.setdefault(sport, []).append((t, client))
    inbound = {}  # client address -> events as they came from the backend
    for (sport, _, dport, _), segments in flows.items():
        if sport != backend_port:
            continue
        sent = sorted(requests.get(dport, []))
        for when, event in events_of(segments):
            owners = [client for t, client in sent if t <= when]
            if owners:
                inbound.setdefault(owners[-1], []).append((when, event))
    outbound = {}  # client address -> events as they left for the client
    for (sport, _, _, dip), segments in flows.items():
        if sport == proxy_port:
            outbound.setdefault(".".join(str(b) for b in dip), []).extend(events_of(segments))
    first, rest, streams, mismatched = [], [], 0, 0
    for client, events in inbound.items():
        out = outbound.get(client, [])
        streams += 1
        if [e for _, e in out] != [e for _, e in events]:
            mismatched += 1
            continue
        for i, ((t_in, _), (t_out, _)) in enumerate(zip(events, out)):
            # The role chunk comes with the response head; the first token is the second event.
            (first if i == 1 else rest).append((t_out - t_in) * 1e3)
    print(f"streams: {streams} (paired through X-Forwarded-For), whose events differ in and "
          f"out: {mismatched}")
    print()
    print("| event | n | p50 | p90 | p99 | max |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, values in (("first token", first), ("every other event", rest),
                         ("all", first + rest)):
        print(f"| {name} | {len(values)} | " +
              " | ".join(f"{percentile(values, p):.3f} ms" for p in (50, 90, 99, 100)) + " |")


if __name__ == "__main__":
    main()
