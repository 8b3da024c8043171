#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into tests/fuzz/corpus/<target>/.

The seeds are datasets/tiny's CSV files, a few small hand-made and generated files, and the files
of a model that the current `partnergraph build --data datasets/tiny` writes, so that they follow
the file formats as they are today: run this again after a format change (docs/testing.md).

    /usr/bin/python3 tests/fuzz/make_seed_corpus.py --cli build/src/cli/partnergraph \
        --fuzz-build build-fuzz

--cli is an ordinary build's CLI (it writes the model and a generated dataset); --fuzz-build the
folder where the fuzz targets are built (the Thrift and vector-index targets write their own
seeds: PG_FUZZ_WRITE_SEEDS). Existing seeds of a target are replaced; regressions/ is not touched.
"""
import argparse
import gzip
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(HERE, "corpus")
TINY = os.path.join(ROOT, "datasets", "tiny")

# Option byte of csv_fuzz_common.hpp (OptionsFromByte): bit 0 ';', bit 1 no header, bits 2..5
# tiny chunk size - 1.
COMMA, SEMICOLON, NO_HEADER = 0x00, 0x01, 0x02


def chunk(size):
    return (size - 1) << 2


def write(target, name, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def reset(target):
    shutil.rmtree(os.path.join(CORPUS, target), ignore_errors=True)
    os.makedirs(os.path.join(CORPUS, target))


def tiny_csvs():
    out = {}
    for name in sorted(os.listdir(TINY)):
        if name.endswith(".csv"):
            with open(os.path.join(TINY, name), "rb") as f:
                out[name] = f.read()
    return out


# Hand-made texts for what csv_reader.hpp describes: quoting, line ends, blank lines, BOM,
# malformed records, the text rules.
HANDMADE = {
    "quoted.csv": b'id,name,note\r\n1,"a ""b""","x,y"\r\n2,"multi\nline",z\r\n\r\n3,,\r\n',
    "bom.csv": b"\xef\xbb\xbfid,name\n1,caf\xc3\xa9\n2,\xe2\x82\xac\n",
    "malformed.csv": b'id,name\n1,"open\n2,a"b\n3,"x"y\n4,too,many\n\n5\n',
    "bad_text.csv": b"id,name\n1,\xff\xfe\n2,a\x00b\n3,\xc0\xaf\n4,\xef\xbb\xbfx\n5,\x1b[31m\n",
    "blank_lines.csv": b"\n\r\n\nid,v\n\n1,2\r\n\r\n",
    "unterminated.csv": b'id,v\n1,"never closed\n2,3\n',
}

PATHS = (b"path;total_conversions;total_conversion_value;total_null\n"
         b"a > b > c;2;30;1\nb;1;10;1\na > c;0;0;2\nc > a > b > a;1;6;0\n")


def generated_csvs(cli, work):
    """Small generated files: the first lines of `partnergraph generate --merchants 20`."""
    out_dir = os.path.join(work, "gen")
    subprocess.run([cli, "generate", "--merchants", "20", "--seed", "7", "--out", out_dir,
                    "--order-lines-per-merchant", "5"], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    out = {}
    for name in ("merchants.csv", "skus.csv", "orders.csv", "consent.csv"):
        path = os.path.join(out_dir, name)
        if os.path.exists(path):
            with open(path, "rb") as f:
                lines = f.read().split(b"\n")
            out["gen_" + name] = b"\n".join(lines[:40]) + b"\n"
    return out


def csv_seeds(texts):
    reset("csv_reader")
    for i, (name, data) in enumerate(sorted(texts.items())):
        write("csv_reader", name, bytes([COMMA | chunk(1 + i % 16)]) + data)
    write("csv_reader", "paths_semicolon.csv", bytes([SEMICOLON | chunk(3)]) + PATHS)
    write("csv_reader", "orders_no_header.csv",
          bytes([NO_HEADER | chunk(7)]) + texts["orders.csv"].split(b"\n", 1)[1])


def gzip_seeds(texts):
    reset("gzip")
    for i, (name, data) in enumerate(sorted(texts.items())):
        level = i % 10
        write("gzip", "wrap_" + name, bytes([COMMA | chunk(2), 0 | (level << 2)]) + data)
    orders = texts["orders.csv"]
    write("gzip", "two_members_orders.csv", bytes([COMMA | chunk(5), 1 | (40 << 2)]) + orders)
    write("gzip", "raw_orders.csv.gz", bytes([COMMA | chunk(4), 2]) + gzip.compress(orders, 9))
    write("gzip", "raw_two_members.csv.gz",
          bytes([COMMA, 2]) + gzip.compress(texts["merchants.csv"]) + gzip.compress(b"m9,x,y,z\n"))
    write("gzip", "raw_paths.gz", bytes([SEMICOLON, 2]) + gzip.compress(PATHS))
    write("gzip", "trailing_zeros_skus.csv", bytes([COMMA, 3 | 4]) + b"\x04" + texts["skus.csv"])
    write("gzip", "trailing_bytes_skus.csv", bytes([COMMA, 3]) + b"\x03" + texts["skus.csv"])


def model_seeds(cli, work, fuzz_build):
    model = os.path.join(work, "model")
    subprocess.run([cli, "build", "--data", TINY, "--out", model], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def read(name):
        with open(os.path.join(model, name), "rb") as f:
            return f.read()

    reset("embeddings")
    for name in sorted(os.listdir(model)):
        if name.endswith(".emb"):
            data = read(name)
            write("embeddings", name, data)
    reset("graph_io")
    write("graph_io", "graph.pgg", read("graph.pgg"))
    reset("precomputed_answers")
    write("precomputed_answers", "precomputed.bin", read("precomputed.bin"))
    reset("neighbor_table")
    write("neighbor_table", "sku_neighbors.bin", read("sku_neighbors.bin"))
    write("neighbor_table", "merchant_neighbors.bin", read("merchant_neighbors.bin"))
    reset("model_manifest")
    manifest = read("manifest.json")
    write("model_manifest", "manifest.json", manifest)
    write("model_manifest", "config.json", read("config.json"))
    write("model_manifest", "no_config.json",
          manifest.replace(b'"config_digest": "', b'"config_digest": null, "x": "', 1))
    write("model_manifest", "format1.json", b'{"fingerprint": "0000000000000001", "files": {}}')
    reset("vector_index")
    # The model's sidecars, behind the vector_index_fuzz.cpp selector byte (0: its Flat index).
    for name in sorted(os.listdir(model)):
        if name.endswith(".faiss.meta"):
            write("vector_index", "model_" + name, b"\x00" + read(name))
    run_seed_writer(fuzz_build, "vector_index")
    for target in ("thrift_request", "thrift_processor"):
        run_seed_writer(fuzz_build, target, fresh=True)


def run_seed_writer(fuzz_build, target, fresh=False):
    """Runs TARGET_fuzz with PG_FUZZ_WRITE_SEEDS; `fresh`: its old seeds go first. A target
    that is not built keeps its seeds (a warning says so)."""
    binary = os.path.join(fuzz_build, "tests", "fuzz", target + "_fuzz")
    if not os.path.exists(binary):
        print("make_seed_corpus: warning: %s is not built (cmake --build %s --target %s_fuzz); "
              "its seeds are left as they are" % (binary, fuzz_build, target), file=sys.stderr)
        return None
    if fresh:
        reset(target)
    env = dict(os.environ, PG_FUZZ_WRITE_SEEDS=os.path.join(CORPUS, target))
    # -runs=0: initialise (which writes the seeds), read no corpus, fuzz nothing.
    subprocess.run([binary, "-runs=0"], check=True, env=env, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cli", default=os.path.join(ROOT, "build", "src", "cli", "partnergraph"))
    parser.add_argument("--fuzz-build", default=os.path.join(ROOT, "build-fuzz"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pg-seeds-") as work:
        texts = dict(tiny_csvs())
        texts.update(HANDMADE)
        texts.update(generated_csvs(args.cli, work))
        csv_seeds(texts)
        gzip_seeds(texts)
        model_seeds(args.cli, work, args.fuzz_build)
    total = 0
    for folder, _, files in os.walk(CORPUS):
        total += sum(os.path.getsize(os.path.join(folder, f)) for f in files)
    print("make_seed_corpus: %d bytes in %s" % (total, os.path.relpath(CORPUS, ROOT)))


if __name__ == "__main__":
    main()
