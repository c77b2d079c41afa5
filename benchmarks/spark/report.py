#!/usr/bin/env python3
"""Turns the rounds of `benchmarks/run.sh spark` into results.md (markdown on stdout).

Usage: report.py WORK KIND IMAGES BATCH THREADS ROUNDS. Reads WORK/round-R/{sample.json, spark.json, walls.txt}.
"""
import json
import os
import platform
import statistics
import subprocess
import sys


def machine():
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()
    return f"{cpu}, {os.cpu_count()} cores; {java[0] if java else 'java ?'}"


def main():
    work, kind, n, batch, threads, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], int(sys.argv[6])
    rows = []
    for r in range(1, rounds + 1):
        d = os.path.join(work, f"round-{r}")
        sample = json.load(open(os.path.join(d, "sample.json")))
        spark = json.load(open(os.path.join(d, "spark.json")))
        t0, t1, t2 = (float(x) for x in open(os.path.join(d, "walls.txt")).read().split())
        sample_gen = sample["open_seconds"] + sample["wall_seconds"]
        rows.append({
            "round": r,
            "sample_wall": t1 - t0, "sample_gen": sample_gen,
            "spark_wall": t2 - t1, "spark_job": spark["seconds"], "spark_setup": spark["setup_seconds"],
            "spark_images": spark["images"], "spark_errors": spark["errors"],
            "executors": ", ".join(f"{e['executor']} {e['images']}" for e in spark["executors"]),
        })
    med = {k: statistics.median(x[k] for x in rows) for k in ("sample_wall", "sample_gen", "spark_wall", "spark_job")}
    print(f"# Spark job (local[{threads}]) against `l2c sample`, {kind} package\n")
    print(f"DiT (dit_fmnist.onnx), DDIM-20, the learned r35 schedule, {n} images, batch {batch}, {threads} intra-op "
          f"threads, CFG from the card; {rounds} rounds, the two alternating. Machine: {machine()}.\n")
    print("| round | l2c sample: process s | l2c sample: open + sampling s | Spark: process s | Spark: job s | "
          "Spark: before the job s | Spark images (errors) | images per executor |")
    print("|---:|---:|---:|---:|---:|---:|---:|---|")
    for x in rows:
        print(f"| {x['round']} | {x['sample_wall']:.1f} | {x['sample_gen']:.1f} | {x['spark_wall']:.1f} | "
              f"{x['spark_job']:.1f} | {x['spark_setup']:.1f} | {x['spark_images']} ({x['spark_errors']}) | {x['executors']} |")
    print()
    print("| median | images/s | Spark overhead |")
    print("|---|---:|---:|")
    print(f"| end to end (process start to exit): l2c sample | {n / med['sample_wall']:.2f} | |")
    print(f"| end to end: Spark job via src/spark/spark-submit | {n / med['spark_wall']:.2f} | "
          f"{100 * (med['spark_wall'] / med['sample_wall'] - 1):+.1f} % |")
    print(f"| generation: l2c sample's session open + sampling loop | {n / med['sample_gen']:.2f} | |")
    print(f"| generation: the Spark job (sessions opened in its tasks, noise, sampling, Parquet commit) | "
          f"{n / med['spark_job']:.2f} | {100 * (med['spark_job'] / med['sample_gen'] - 1):+.1f} % |")


if __name__ == "__main__":
    main()
