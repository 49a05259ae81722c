"""Solving: the options of a solve and ``solve`` itself (scenario in, verified-ready result out)."""
