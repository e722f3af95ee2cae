#!/usr/bin/python3
"""Scenario 7's anchor (bench/README.md): plain libtorrent 2.0 (Debian
python3-libtorrent) with the origin as a web seed. Run with /usr/bin/python3.

usage:
  swarm_lt.py make CONTENT OUT.torrent
      Makes a .torrent of the one file CONTENT with libtorrent's defaults
      (create_torrent: hybrid v1+v2, libtorrent's own piece size), no tracker
      and no web seed (the origin's address changes with every bed: `host`
      adds it). Prints {"v1", "v2", "piece_length", "size", "libtorrent"} as
      one JSON line.
  swarm_lt.py host TORRENT SAVE_DIR LISTEN_ADDRESS WEB_SEED_URL TIMEOUT_S
      One host of the swarm: a session with libtorrent's default settings
      except that it listens on LISTEN_ADDRESS:6881 and DHT, UPnP and NAT-PMP
      are off (nothing to reach on the test bed); local service discovery
      stays on (the default: how hosts on one LAN find each other). The
      torrent is added with WEB_SEED_URL as its web seed (BEP 19 url-list,
      given at add time: the same as a url-list in the .torrent).
      Prints {"event": "finished", "t": S, ...} once every piece is verified
      (S: seconds from just before the session was made), then keeps seeding
      until SIGTERM (or TIMEOUT_S), and prints {"event": "exit", ...} with its
      payload counters. Exit 0 when it finished, 1 otherwise.
"""
import json
import os
import signal
import sys
import time

import libtorrent as lt


def make(content, out):
    fs = lt.file_storage()
    lt.add_files(fs, content)
    t = lt.create_torrent(fs)
    t.set_creator("ferry bench")
    lt.set_piece_hashes(t, os.path.dirname(os.path.abspath(content)))
    with open(out, "wb") as f:
        f.write(lt.bencode(t.generate()))
    ti = lt.torrent_info(out)
    h = ti.info_hashes()
    print(json.dumps({"v1": str(h.v1) if h.has_v1() else "", "v2": str(h.v2) if h.has_v2() else "",
                      "piece_length": ti.piece_length(), "size": ti.total_size(), "libtorrent": lt.__version__}),
          flush=True)


def report(event, t0, status, extra=None):
    r = {"event": event, "t": time.monotonic() - t0, "progress": status.progress,
         "payload_download": status.total_payload_download, "payload_upload": status.total_payload_upload,
         "all_time_download": status.all_time_download, "all_time_upload": status.all_time_upload,
         "num_peers": status.num_peers, "state": str(status.state)}
    r.update(extra or {})
    print(json.dumps(r), flush=True)


def host(torrent, save, address, url, timeout):
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    t0 = time.monotonic()
    session = lt.session({"listen_interfaces": address + ":6881", "enable_dht": False, "enable_upnp": False,
                          "enable_natpmp": False})
    ti = lt.torrent_info(torrent)
    atp = lt.add_torrent_params()
    atp.ti = ti
    atp.save_path = save
    atp.url_seeds = [url]
    handle = session.add_torrent(atp)
    deadline = t0 + timeout
    finished_at = None
    status = handle.status()
    while not stop and time.monotonic() < deadline:
        session.pop_alerts()  # keep the queue short; nothing here needs them
        status = handle.status()
        if finished_at is None and status.is_seeding:
            finished_at = time.monotonic() - t0
            report("finished", t0, status, {"piece_length": ti.piece_length()})
        time.sleep(0.05)
    status = handle.status()
    report("exit", t0, status, {"finished_at": finished_at, "piece_length": ti.piece_length()})
    sys.exit(0 if finished_at is not None else 1)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "make":
        make(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 7 and sys.argv[1] == "host":
        host(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], float(sys.argv[6]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
