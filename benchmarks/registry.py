"""The instance families, their sizes per preset, and the matrix of entries they expand to.

Presets: ``tiny`` (the unit test), ``quick`` (a few minutes on 2 cores), ``full`` (the run
behind ``benchmarks/RESULTS.md``), ``large`` (the 200 × 2,000 capacity-ratio family, run on its
own). Each family lists its instances smallest first; on a size ladder an entry that failed at
one size is not tried at the larger ones (see :mod:`benchmarks.runner`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from benchmarks import world
from benchmarks.entry import Entry
from benchmarks.instances import US_WHATIFS, InstanceSpec, orlib_names, orlib_specs
from placement.formulations import FORMULATIONS
from placement.solving.options import METHODS
from placement.solving.solve import SOLVERS

PRESETS = ("tiny", "quick", "full", "large")
ALL_FORMULATIONS: tuple[str, ...] = tuple(FORMULATIONS)
ALL_SOLVERS: tuple[str, ...] = tuple(SOLVERS)
ALL_METHODS: tuple[str, ...] = METHODS
CAPACITY_RATIOS = (1.5, 3.0, 10.0, 20.0)  # total capacity / demand; 20 is nearly uncapacitated
RATIO_SEEDS = (0, 1, 2, 3, 4)

# CP-SAT needs all-integer models, so it runs only on single_source; on OR-Library it runs on
# one instance per size class (16, 25 and 50 warehouses) where single-sourcing is feasible:
# with one worker thread it rarely proves optimality, so 37 × the time limit would buy little.
ORLIB_CPSAT = ("cap71", "cap101", "cap131")
ORLIB_QUICK = ["cap41", "cap71", "cap101", "cap131"]
ORLIB_TINY = ["cap41", "cap71"]


@dataclass(frozen=True)
class Family:
    """A family of instances and how to benchmark it."""

    name: str
    description: str
    sizes: dict[str, Sequence[tuple[int, int]] | Sequence[str]]
    make: Callable[[Sequence[tuple[int, int]] | Sequence[str]], list[InstanceSpec]]
    ladder: bool = False  # instances grow in size: skip-after-failure applies
    endtoend: bool = False  # one whole `placement solve` per instance instead of the matrix
    cpsat_only: tuple[str, ...] | None = None  # CP-SAT only on these instances
    # The dense (no-SLO) variant shows what pruning saves: one formulation, one backend suffice.
    dense_formulations: tuple[str, ...] = ("strong",)
    dense_solvers: tuple[str, ...] = ("highs",)
    # a family that compares methods, not formulations: only these (None: all asked for)
    only_formulations: tuple[str, ...] | None = None
    only_solvers: tuple[str, ...] | None = None

    def instances(self, preset: str) -> list[InstanceSpec]:
        return self.make(self.sizes.get(preset, ()))


def _random(sizes: Sequence[tuple[int, int]]) -> list[InstanceSpec]:
    return [
        InstanceSpec(
            family="random",
            name=f"random_cflp_{n}x{m}",
            size=f"{n}x{m}",
            loader="random_cflp",
            args=(n, m, 0),
            order=k,
        )
        for k, (n, m) in enumerate(sizes)
    ]


def _ai(sizes: Sequence[tuple[int, int]]) -> list[InstanceSpec]:
    loader, prefix = ("world_ai", "world_ai") if world.available() else ("random_ai", "random_ai")
    return [
        InstanceSpec(
            family="ai",
            name=f"{prefix}_{n}x{m}",
            size=f"{n}x{m}",
            loader=loader,
            args=(n, m, 0),
            has_slo=True,
            order=k,
        )
        for k, (n, m) in enumerate(sizes)
    ]


MENU_SEEDS = (0, 1, 2)


def _menus(sizes: Sequence[tuple[int, int]]) -> list[InstanceSpec]:
    """random_menu_scenario(n, m, 2, seed): leases, cloud with a quota, two hardware types,
    two ways per cluster."""
    return [
        InstanceSpec(
            family="menu_synthetic",
            name=f"random_menu_{n}x{m}_s{seed}",
            size=f"{n}x{m}",
            loader="random_menu",
            args=(n, m, seed),
            has_slo=True,
            order=k,
        )
        for k, (n, m) in enumerate(sizes)
        for seed in MENU_SEEDS
    ]


def _ratios(sizes: Sequence[tuple[int, int]]) -> list[InstanceSpec]:
    """random_cflp(n, m, seed, capacity_ratio=r) for each size, ratio and seed."""
    specs = []
    for k, (n, m) in enumerate(sizes):
        seeds = RATIO_SEEDS if n >= 100 else (0,)
        specs.extend(
            InstanceSpec(
                family="cflp_ratio",
                name=f"random_cflp_{n}x{m}_r{ratio:g}_s{seed}",
                size=f"{n}x{m}",
                loader="random_cflp",
                args=(n, m, seed, ratio),
                order=k,
            )
            for ratio in CAPACITY_RATIOS
            for seed in seeds
        )
    return specs


def _whatifs(names: Sequence[str], menus: bool = True) -> list[InstanceSpec]:
    return [
        InstanceSpec(
            family="us_whatif" if menus else "us_whatif_legacy",
            name=f"us_default{'' if menus else '_legacy'}:{name}",
            size="53x3143",
            loader="us_whatif",
            args=(name, menus),
            has_slo=True,
            order=0,
        )
        for name in names
    ]


_US_SIZES = {"us_small": "13x150", "us_default": "53x3143"}
# multi-period plans (issue 12): (dataset, periods); the one-period plan is today's model
US_GROWTH_QUICK = (("us_small_growth", 5),)
US_GROWTH_FULL = (("us_default_growth", 1), ("us_default_growth", 2), ("us_default_growth", 5))


def _growth(plans: Sequence[tuple[str, int]]) -> list[InstanceSpec]:
    return [
        InstanceSpec(
            family="us_growth",
            name=f"{which}:{count}y",
            size=_US_SIZES[which.removesuffix("_growth")],
            loader="us_growth",
            args=(which, count),
            has_slo=True,
            order=k,
            dense=False,  # a dense plan is T dense models: what pruning saves shows in `us`
        )
        for k, (which, count) in enumerate(plans)
    ]


def _us(names: Sequence[str], family: str = "us") -> list[InstanceSpec]:
    return [
        InstanceSpec(
            family=family,
            name=name,
            size=_US_SIZES[name],
            loader="us",
            args=(name,),
            has_slo=True,
            order=k,
        )
        for k, name in enumerate(names)
    ]


FAMILIES: dict[str, Family] = {
    family.name: family
    for family in (
        Family(
            name="orlib",
            description="OR-Library capacitated facility location (Beasley), known optima",
            sizes={"tiny": ORLIB_TINY, "quick": ORLIB_QUICK, "full": orlib_names()},
            make=lambda names: orlib_specs(list(names)),
            cpsat_only=ORLIB_CPSAT,
        ),
        Family(
            name="random",
            description="seeded random Euclidean CFLP, total capacity = 3 × demand",
            sizes={
                "tiny": [(10, 30)],
                "quick": [(50, 200)],
                "full": [(50, 200), (100, 1000), (200, 2000)],
            },
            make=_random,
            ladder=True,
        ),
        Family(
            name="us",
            description="bundled US scenario (public data): us_small, us_default",
            sizes={"quick": ["us_small"], "full": ["us_small", "us_default"]},
            make=_us,
            ladder=True,
        ),
        Family(
            name="ai",
            description="synthetic AI placement on world cities (GeoNames), SLO 20 ms",
            sizes={
                "tiny": [(5, 40)],
                "quick": [(50, 500)],
                "full": [(50, 500), (200, 2000), (500, 10000), (1000, 30000)],
            },
            make=_ai,
            ladder=True,
        ),
        Family(
            name="cflp_ratio",
            description="random CFLP at capacity ratios 1.5, 3, 10, 20 (seeds 0-4 from 100 sites): "
            "plain MILP against the decomposition",
            sizes={"quick": [(50, 200)], "full": [(100, 1000)], "large": [(200, 2000)]},
            make=_ratios,
            only_formulations=("strong",),
            only_solvers=("highs",),
        ),
        Family(
            name="menu_synthetic",
            description="synthetic AI placement with decision menus (leases, cloud with a quota, "
            "two hardware types, two ways per cluster), seeds 0-2: plain MILP against the "
            "decomposition",
            sizes={"tiny": [(8, 60)], "quick": [(20, 200)], "full": [(100, 1000)]},
            make=_menus,
            only_formulations=("strong",),
            only_solvers=("highs",),
        ),
        Family(
            name="us_whatif",
            description="a planner's what-ifs on us_default: λ × 0.1 and × 10, today's training "
            "site forbidden, NM power + 30 %, a 20 ms SLO, one more campus",
            sizes={"full": list(US_WHATIFS)},
            make=_whatifs,
            only_formulations=("strong",),
            only_solvers=("highs",),
        ),
        Family(
            name="us_whatif_legacy",
            description="the same what-ifs on us_default(menus=False): the legacy model without "
            "decision menus, the structure the decomposition covers",
            sizes={"full": list(US_WHATIFS)},
            make=lambda names: _whatifs(names, menus=False),
            only_formulations=("strong",),
            only_solvers=("highs",),
        ),
        Family(
            name="us_growth",
            description="the bundled default over 1, 2 and 5 years (+15 %/yr, a training job "
            "arriving in 2028): multi-period plans, compared by method and with --lp-nodes 0",
            sizes={"quick": list(US_GROWTH_QUICK), "full": list(US_GROWTH_FULL)},
            make=_growth,
            ladder=True,
            only_formulations=("strong",),
            only_solvers=("highs",),
        ),
        Family(
            name="endtoend",
            description="whole `placement solve` (CLI, or API) on the US datasets, tool defaults",
            sizes={"quick": ["us_small"], "full": ["us_small", "us_default"]},
            make=lambda names: _us(names, family="endtoend"),
            endtoend=True,
        ),
    )
}


def plan(
    families: Sequence[str],
    preset: str,
    formulations: Sequence[str] = ALL_FORMULATIONS,
    solvers: Sequence[str] = ALL_SOLVERS,
    methods: Sequence[str] = ("auto",),
) -> list[Entry]:
    """Every entry of the matrix, family by family, smallest instance first.

    The LP relaxation is solved once per instance × variant × formulation, in the entry of the
    first backend listed (the bound belongs to the formulation, not to the backend). Methods
    other than ``auto`` run with HiGHS only (the decomposition drives HiGHS itself).
    """
    entries: list[Entry] = []
    for name in families:
        family = FAMILIES[name]
        family_formulations = [
            f
            for f in formulations
            if family.only_formulations is None or f in family.only_formulations
        ]
        family_solvers = [
            s for s in solvers if family.only_solvers is None or s in family.only_solvers
        ]
        for spec in sorted(family.instances(preset), key=lambda s: s.order):
            if family.endtoend:
                entries.append(Entry(spec, "pruned", "default", "default"))
                continue
            for variant in spec.variants:
                for formulation in family_formulations:
                    usable = [
                        s for s in family_solvers if _applies(family, spec, variant, formulation, s)
                    ]
                    first = True
                    for solver in usable:
                        for method in methods:
                            if method != "auto" and solver != "highs":
                                continue
                            entries.append(Entry(spec, variant, formulation, solver, first, method))
                            first = False
    return entries


def _applies(
    family: Family, spec: InstanceSpec, variant: str, formulation: str, solver: str
) -> bool:
    if solver == "cpsat":
        if formulation != "single_source":
            return False
        if family.cpsat_only is not None and spec.name not in family.cpsat_only:
            return False
    return variant != "dense" or (
        solver in family.dense_solvers and formulation in family.dense_formulations
    )
