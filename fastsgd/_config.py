"""`fastsgd.show_config()`: what this build of fastsgd runs on."""
import platform
import sys

from . import _linear
from ._threads import available_cpus


def config_info():
    """Version, OpenMP, BLAS and thread counts, as a dict (also recorded by the benchmarks)."""
    from threadpoolctl import threadpool_info

    import numpy
    import scipy

    from . import __version__

    pools = [{k: p.get(k) for k in ("user_api", "internal_api", "version", "num_threads",
                                    "threading_layer", "architecture", "filepath")}
             for p in threadpool_info()]
    return {
        "fastsgd": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "openmp": bool(_linear.openmp_enabled()),
        "openmp_max_threads": int(_linear.openmp_max_threads()),
        "cpus_available": available_cpus(),
        "threadpools": pools,
    }


def show_config(file=None):
    """Print the fastsgd version, OpenMP on/off, the BLAS in use and the thread counts."""
    info = config_info()
    out = file or sys.stdout
    print(f"fastsgd {info['fastsgd']} (Python {info['python']}, NumPy {info['numpy']}, "
          f"SciPy {info['scipy']})", file=out)
    print(f"platform: {info['platform']}", file=out)
    print(f"OpenMP: {'on' if info['openmp'] else 'OFF (serial build)'}; "
          f"threads: {info['openmp_max_threads']} (OpenMP default), "
          f"{info['cpus_available']} usable cores", file=out)
    blas = [p for p in info["threadpools"] if p["user_api"] == "blas"]
    for p in blas:
        print(f"BLAS: {p['internal_api']} {p['version']} ({p['threading_layer']}), "
              f"{p['num_threads']} threads, {p['filepath']}", file=out)
    if not blas:
        print("BLAS: none detected by threadpoolctl", file=out)
    for p in info["threadpools"]:
        if p["user_api"] == "openmp":
            print(f"OpenMP runtime: {p['internal_api']} ({p['filepath']})", file=out)
