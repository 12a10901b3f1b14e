"""faiss on the vectors `vitrine bench search` wrote (issue 6): flat inner product (exact) and
HNSW, one thread, the same queries; recall@5 against exact f32 cosine, build and query time,
bytes per product (the serialized index). Appends its rows to target/bench/search.json's table.

    python bench/search_faiss.py target/bench 10000 100000
"""
import json
import sys
import time
from pathlib import Path

import faiss
import numpy as np

DIM = 128


def load(path, dim=DIM):
    return np.fromfile(path, dtype="<f4").reshape(-1, dim)


def main():
    out = Path(sys.argv[1])
    sizes = [int(s) for s in sys.argv[2:]]
    faiss.omp_set_num_threads(1)
    queries = load(out / "queries.f32")
    rows = []
    print(f"faiss {faiss.__version__}, one thread, {len(queries)} queries")
    print("| products | method | build s | query ms | recall@5 | bytes per product |\n|---|---|---|---|---|---|")
    for n in sizes:
        base = load(out / f"base-{n}.f32")
        flat = faiss.IndexFlatIP(DIM)
        t = time.perf_counter()
        flat.add(base)
        build = time.perf_counter() - t
        t = time.perf_counter()
        # One query at a time, as a shopper's look asks.
        truth = np.vstack([flat.search(q[None, :], 5)[1] for q in queries])
        query = (time.perf_counter() - t) * 1e3 / len(queries)
        bytes_flat = len(faiss.serialize_index(flat)) / n
        rows.append(dict(size=n, method="faiss IndexFlatIP (exact)", build_s=build, query_ms=query,
                         recall_at_5=1.0, bytes_per_product=bytes_flat))
        for m, ef_construction, ef_search in [(32, 200, 200), (32, 40, 64)]:
            index = faiss.IndexHNSWFlat(DIM, m, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = ef_construction
            t = time.perf_counter()
            index.add(base)
            build = time.perf_counter() - t
            index.hnsw.efSearch = ef_search
            t = time.perf_counter()
            found = np.vstack([index.search(q[None, :], 5)[1] for q in queries])
            query = (time.perf_counter() - t) * 1e3 / len(queries)
            recall = np.mean([len(set(f) & set(t)) / 5 for f, t in zip(found, truth)])
            rows.append(dict(size=n, method=f"faiss IndexHNSWFlat M {m}, ef {ef_construction}/{ef_search}",
                             build_s=build, query_ms=query, recall_at_5=float(recall),
                             bytes_per_product=len(faiss.serialize_index(index)) / n))
        for r in rows[-3:]:
            print(f"| {r['size']} | {r['method']} | {r['build_s']:.2f} | {r['query_ms']:.3f} | "
                  f"{r['recall_at_5']:.3f} | {r['bytes_per_product']:.0f} |")
    (out / "search-faiss.json").write_text(json.dumps(rows, indent=2) + "\n")
    print(f"\nwritten: {out / 'search-faiss.json'}")


if __name__ == "__main__":
    main()
