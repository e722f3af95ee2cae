#!/usr/bin/python3
"""Downloads one torrent with libtorrent 2.0 (Debian python3-libtorrent): a
plain libtorrent client, the peer engine ferry embeds, for the interop tests
(support/torrent_tools.h: FetchWithLibtorrent).

usage: lt_fetch.py TORRENT SAVE_DIR LISTEN_ADDRESS TIMEOUT_S [PEER_ADDR:PORT ...]

Announces to the torrent's trackers and connects to the given peers; DHT,
LSD, UPnP and NAT-PMP off. Exits 0 once every piece is verified, 1 at the
timeout. Prints one JSON line at the end: {"progress", "downloaded",
"peers_seen", "state"}. Run with /usr/bin/python3.
"""
import json
import sys
import time

import libtorrent as lt


def main():
    torrent, save, address, timeout = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    peers = sys.argv[5:]
    session = lt.session({
        "listen_interfaces": address + ":0",
        "enable_dht": False, "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
        "alert_mask": lt.alert.category_t.peer_notification | lt.alert.category_t.connect_notification,
    })
    handle = session.add_torrent({"ti": lt.torrent_info(torrent), "save_path": save})
    for peer in peers:
        host, port = peer.rsplit(":", 1)
        handle.connect_peer((host, int(port)))
    seen = set()
    deadline = time.time() + timeout
    status = handle.status()
    while time.time() < deadline:
        for alert in session.pop_alerts():
            if isinstance(alert, lt.peer_connect_alert):
                seen.add("%s:%d" % tuple(alert.endpoint))
        status = handle.status()
        if status.is_seeding:
            break
        time.sleep(0.1)
    print(json.dumps({"progress": status.progress, "downloaded": status.total_payload_download,
                      "peers_seen": sorted(seen), "state": str(status.state)}))
    sys.exit(0 if status.is_seeding else 1)


if __name__ == "__main__":
    main()
