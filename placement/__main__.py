"""``python -m placement``: the same command line as the ``placement`` console script."""

from placement.cli import run

if __name__ == "__main__":
    run()
