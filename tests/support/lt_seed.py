#!/usr/bin/python3
"""Seeds one torrent with libtorrent 2.0 (Debian python3-libtorrent) for the
tests of torrents as sources (tests/integration/service/torrent_source_test).

usage: lt_seed.py TORRENT CONTENT_DIR LISTEN_ADDRESS STATUS_FILE UPLOAD_LIMIT [PEER_ADDR:PORT ...]

Listens on LISTEN_ADDRESS (port picked by the system) and connects to each
PEER every second (ferryd only accepts a peer once it has the torrent), so
no tracker, DHT or LSD is needed. UPLOAD_LIMIT is bytes/s (0: none). Every
0.2 s it rewrites STATUS_FILE with one JSON object: {"uploaded": payload
bytes sent, "peers": connected peers, "port": its port}. Runs until killed.
After 3 s without a peer, or 10 s with peers but nothing sent, it removes
and adds the torrent again (uploads are still counted): libtorrent never
dials a peer it saw seeding or failed to reach 3 times (ferryd restarting),
and ferryd's seeding cache seeds a torrent it may fetch again later. Peer
connections, disconnections (with the reason) and those restarts go to
stderr, one timestamped line each, for the tests' failure messages.
"""
import json
import os
import sys
import time

import libtorrent as lt


def main():
    torrent, content, address, status_file = sys.argv[1:5]
    limit = int(sys.argv[5])
    peers = [p.rsplit(":", 1) for p in sys.argv[6:]]
    session = lt.session({
        "listen_interfaces": address + ":0",
        "enable_dht": False, "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
        "allow_multiple_connections_per_ip": True,
        # ferryd drops the connection at Suspend and at the end: reconnect at
        # once, not after libtorrent's 60 s back-off.
        "min_reconnect_time": 1,
        "upload_rate_limit": limit,
        "alert_mask": lt.alert.category_t.connect_notification
        | lt.alert.category_t.error_notification | lt.alert.category_t.peer_notification,
    })
    if limit:
        # The local peer class is exempt from the session's limit: limit it too.
        session.set_peer_class(lt.session.local_peer_class_id,
                               {"upload_limit": limit, "download_limit": 0, "label": "local"})
    def add():
        h = session.add_torrent({"ti": lt.torrent_info(torrent), "save_path": content,
                                 "flags": lt.torrent_flags.seed_mode})
        if limit:
            h.set_upload_limit(limit)
        return h

    handle = add()
    last_connect = 0.0
    idle_since = time.time()
    sending_since = idle_since  # the last time the upload count grew (or the start)
    last_uploaded = 0
    uploaded_before = 0  # by earlier incarnations of the torrent
    while True:
        log_alerts(session)
        now = time.time()
        if now - last_connect >= 1.0:
            last_connect = now
            for host, port in peers:
                handle.connect_peer((host, int(port)))
        st = handle.status()
        if st.num_peers > 0 or not peers:
            idle_since = now
        if st.total_payload_upload != last_uploaded or st.num_peers == 0 or not peers:
            last_uploaded = st.total_payload_upload
            sending_since = now
        alone = now - idle_since >= 3.0
        stalled = now - sending_since >= 10.0
        if alone or stalled:
            # A finished torrent never dials a peer it once saw seeding (its
            # peer list keeps that) nor one it failed to reach 3 times: when
            # ferryd seeded this torrent from its cache and then fetches it
            # again, or restarted, start afresh.
            note("restart (%s; %d peers)" % ("no peer for 3 s" if alone else "nothing sent for 10 s",
                                             st.num_peers))
            uploaded_before += st.total_payload_upload
            session.remove_torrent(handle)
            handle = add()
            idle_since = sending_since = now
            last_uploaded = 0
            st = handle.status()
        tmp = status_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"uploaded": uploaded_before + st.total_payload_upload, "peers": st.num_peers,
                       "port": session.listen_port()}, f)
        os.replace(tmp, status_file)
        time.sleep(0.2)


def note(text):
    sys.stderr.write("%s %s\n" % (time.strftime("%H:%M:%S"), text))
    sys.stderr.flush()


def log_alerts(session):
    for a in session.pop_alerts():
        if isinstance(a, (lt.peer_connect_alert, lt.peer_disconnected_alert, lt.incoming_connection_alert,
                          lt.peer_error_alert, lt.peer_ban_alert, lt.torrent_error_alert)):
            note(a.message())


if __name__ == "__main__":
    main()
