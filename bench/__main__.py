"""`python -m bench` (`make bench`): every benchmark, for every dataset size in BENCH_SIZES, on the database
DATABASE_URL names the server of (SQLite without it). See bench/README.md."""
import platform
import subprocess
import sys
from datetime import date

from bench.common import database_url, run_module, sizes

MODULES = ["bench.data", "bench.availability", "bench.booking", "bench.framework_floor", "bench.feed"]


def main():
    cpus = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip() or "?"
    print(f"# {date.today()} on {platform.node()}: {cpus} cores, Python {platform.python_version()}, "
          f"sizes {','.join(map(str, sizes()))}", flush=True)
    failed = []
    for n in sizes():
        print(f"# n={n}: {database_url(n).split('@')[-1]}", flush=True)
        failed += [f"{module} n={n}" for module in MODULES if not run_module(module, n)]
    if failed:
        print(f"# FAILED: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
