"""Command line entry point: ``fastnn ...`` and ``python -m fastnn ...``."""

import sys


def main(argv=None):
    from ._cli import run

    return run(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    sys.exit(main())
