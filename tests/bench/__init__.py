"""Tests of the benchmark harness: it must keep running, or `make bench` rots."""
