"""The packages are layers and imports flow one way: down the stack of docs/architecture.md."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "placement"

# Lower number = lower layer. A module may import its own package or a lower layer; two
# packages on the same level (the domain model and the solver layer) may not import each other.
LAYERS: dict[str, int] = {
    "errors": 0,
    "atomic": 0,
    "milp": 1,
    "model": 1,
    "datasets": 2,
    "io": 3,
    "formulations": 4,
    "results": 5,
    "decomposition": 6,
    "solving": 7,
    "outputs": 8,
    "batch": 9,
    "cli": 10,
}


def _layer_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "placement" or len(parts) == 1:
        return None
    return parts[1]


def _imports(path: Path) -> list[str]:
    """Every ``placement…`` module imported anywhere in the file (functions included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
            if node.module == "placement":  # from placement import X: X is a package
                found += [f"placement.{a.name}" for a in node.names]
    return [name for name in found if name.startswith("placement")]


def test_every_package_is_a_known_layer():
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    modules = {p.stem for p in PACKAGE.glob("*.py") if p.stem not in ("__init__", "__main__")}
    assert packages - {"bundled"} | modules <= set(LAYERS), "add new packages to LAYERS"


def test_imports_flow_down_the_stack():
    wrong = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE)
        source = relative.parts[0].removesuffix(".py")
        if source not in LAYERS:  # placement/__init__.py and __main__.py: the public face
            continue
        for module in _imports(path):
            target = _layer_of(module)
            if target is None or target == source or target not in LAYERS:
                continue
            if LAYERS[target] >= LAYERS[source]:
                wrong.append(f"{relative} imports {module} ({source} → {target})")
    assert not wrong, "\n".join(wrong)
