#!/usr/bin/python3
"""Prints libtorrent's BitTorrent v2 pieces root of one file (for PiecesRootTest).

usage: pieces_root.py FILE

Prints 64 lowercase hex digits: file_storage.root(0) of a v2 torrent that
libtorrent makes for FILE (python3-libtorrent, libtorrent-rasterbar 2.0).
libtorrent refuses to make a torrent of an empty file; then it prints
"empty". Run with /usr/bin/python3.
"""
import os
import sys

import libtorrent as lt


def main():
    content = sys.argv[1]
    if os.path.getsize(content) == 0:
        print("empty")
        return
    fs = lt.file_storage()
    lt.add_files(fs, content)
    t = lt.create_torrent(fs, 0, lt.create_torrent.v2_only)
    lt.set_piece_hashes(t, os.path.dirname(os.path.abspath(content)))
    info = lt.torrent_info(lt.bencode(t.generate()))
    print(info.files().root(0))


if __name__ == "__main__":
    main()
