"""The `fastsgd` command: `fastsgd demo`, `fastsgd bench`, `fastsgd config`."""
import argparse
import sys


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = argparse.ArgumentParser(prog="fastsgd", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="train on scikit-learn's digits with B = 1, 32 and N")
    demo.add_argument("--epochs", type=int, default=5)
    demo.add_argument("--seed", type=int, default=0)
    sub.add_parser("bench", help="side-by-side throughput benchmark (see --help)",
                   add_help=False)
    sub.add_parser("config", help="print the build configuration (OpenMP, BLAS, threads)")
    if argv and argv[0] == "bench":
        from .bench import main as bench_main
        return bench_main(argv[1:])
    args = parser.parse_args(argv)
    if args.command == "config":
        from . import show_config
        show_config()
        return 0
    from .demo import run_demo
    return run_demo(epochs=args.epochs, seed=args.seed)


if __name__ == "__main__":
    sys.exit(main())
