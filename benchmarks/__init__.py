"""Benchmarks of baicun against its peers, run with ``python -m benchmarks``.

Each ``benchmarks/bench_<area>.py`` module has a ``main()`` that times baicun and its
peers in one run and prints the ratios. Peers that are not runtime dependencies are
installed only in the separate virtual environment ``benchmarks/.env`` (see
``benchmarks/README.md``).
"""
