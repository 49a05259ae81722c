"""The solver layer: mixed-integer linear models and the solvers that prove them.

Nothing here knows about data centers. A model is built a block of variables or rows at a time
from numpy arrays (:mod:`placement.milp.linear_model`), handed to a solver
(:mod:`placement.milp.backends`), and may first be tried by an LP branch and bound
(:mod:`placement.milp.lp_branch`). Tests of this package never import the domain.
"""
