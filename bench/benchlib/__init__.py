"""Modules of the `make bench` driver bench/run.py (see bench/README.md)."""
