#!/usr/bin/python3
"""Prints the ingest and graph-build figures of a `partnergraph build --json` manifest:
rows/s per loaded file, seconds and resident memory per stage, and the peak RSS."""
import json
import sys

GIB = 2 ** 30


def main(path):
    m = json.load(open(path))
    lines = m["input"]["order_lines"]
    stages = m["stages"]
    load = next(s for s in stages if s["name"] == "load")
    graph = [s for s in stages if s["name"].startswith("graph:")]
    print(f"  order lines {lines:,}; whole load {load['seconds']:.2f} s "
          f"({lines / load['seconds'] / 1e6:.2f} M order lines/s over all files)")
    for f in m["input"].get("files", []):
        if f["skipped"]:
            print(f"    {f['file']:<24} skipped (not used by the graph)")
        elif f["seconds"] > 0:
            print(f"    {f['file']:<24} {f['rows_loaded']:>12,} rows {f['seconds']:8.2f} s "
                  f"{f['rows_loaded'] / f['seconds'] / 1e6:6.2f} M rows/s "
                  f"{f['bytes'] / f['seconds'] / 1e6:7.1f} MB/s"
                  f"  rss {f.get('rss_bytes', 0) / GIB:5.2f} GiB peak {f.get('peak_rss_bytes', 0) / GIB:5.2f} GiB")
    print(f"  graph build {sum(s['seconds'] for s in graph):.2f} s")
    for s in stages:
        print(f"    {s['name']:<40} {s['seconds']:8.2f} s  rss {s['rss_bytes'] / GIB:6.2f} GiB"
              f"  peak {s['peak_rss_bytes'] / GIB:6.2f} GiB")
    print(f"  graph in memory {m['graph_memory_bytes'] / GIB:.2f} GiB; "
          f"peak RSS {m['peak_rss_bytes'] / GIB:.2f} GiB")


if __name__ == "__main__":
    main(sys.argv[1])
