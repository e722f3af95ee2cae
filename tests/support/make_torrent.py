#!/usr/bin/python3
"""Makes a .torrent for the BitTorrent interop tests (support/torrent_tools.h).

usage: make_torrent.py {v1,v2,hybrid} CONTENT OUT.torrent [TRACKER_URL [WEB_SEED_URL]]

CONTENT is one file; the torrent's name is its base name. Prints one JSON
object: {"v1": "<40 hex>" or "", "v2": "<64 hex>" or ""}. Needs Debian's
python3-libtorrent (libtorrent-rasterbar 2.0); run with /usr/bin/python3.
"""
import json
import os
import sys

import libtorrent as lt


def main():
    kind, content, out = sys.argv[1], sys.argv[2], sys.argv[3]
    tracker = sys.argv[4] if len(sys.argv) > 4 else ""
    web_seed = sys.argv[5] if len(sys.argv) > 5 else ""
    flags = {"v1": lt.create_torrent.v1_only, "v2": lt.create_torrent.v2_only, "hybrid": 0}[kind]
    fs = lt.file_storage()
    lt.add_files(fs, content)
    t = lt.create_torrent(fs, 0, flags)
    if tracker:
        t.add_tracker(tracker)
    if web_seed:
        t.add_url_seed(web_seed)  # BEP 19
    t.set_creator("ferry tests")
    lt.set_piece_hashes(t, os.path.dirname(os.path.abspath(content)))
    with open(out, "wb") as f:
        f.write(lt.bencode(t.generate()))
    hashes = lt.torrent_info(out).info_hashes()
    print(json.dumps({"v1": str(hashes.v1) if hashes.has_v1() else "",
                      "v2": str(hashes.v2) if hashes.has_v2() else ""}))


if __name__ == "__main__":
    main()
