"""The README's Python example runs as written (in a scratch folder holding a link to data/)."""

from __future__ import annotations

import re

from conftest import ROOT


def test_readme_python_example_runs(tmp_path, monkeypatch, capsys):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    (tmp_path / "data").symlink_to(ROOT / "data")
    monkeypatch.chdir(tmp_path)
    exec(compile(block, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "optimal" in out and "1040444.375" in out.replace(",", "")
    assert (tmp_path / "result.json").exists()


def test_readme_planning_script_runs(tmp_path, monkeypatch, capsys):
    # pandas edit → networkx round trip → solve (a graph) → DataFrames, as written in README.md
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### A planning script", 1)[1]
    block = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    monkeypatch.chdir(tmp_path)  # no data/ link: the script needs only the installed package
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)
    res, frames = namespace["res"], namespace["frames"]
    assert res.ok and "memphis_tn" not in res.open_sites
    assert set(frames) == {"sites", "assignments", "training", "costs"}
    costs = frames["costs"].set_index("component")["usd_per_year"]
    assert costs["total"] == res.objective and costs["spend"] < costs["total"]
    quincy = namespace["graph"].nodes["site:quincy_wa"]
    assert quincy["power_mw"] == 600
    assert "spend" in capsys.readouterr().out
