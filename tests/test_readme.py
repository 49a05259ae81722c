"""The README's Python example runs as written (in a scratch folder holding a link to data/)."""

from __future__ import annotations

import re

from conftest import ROOT, solve_verified

import placement as pl


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


def test_readme_menu_scenario_solves_as_described(tmp_path):
    # The GB200 option (12.1 MW at 132 kW/rack) fits Dallas's 100 MW only in its retrofitted
    # direct-to-chip cooling; the H100 option (20.9 MW, air) costs more to run there.
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split('## Decisions beyond "where"', 1)[1]
    block = re.search(r"```yaml\n(.*?)```", section, re.S).group(1)
    path = tmp_path / "menus.yaml"
    path.write_text(block, encoding="utf-8")
    scn = pl.Scenario.from_file(path)
    res = solve_verified(scn)
    assert res.ok
    choice = res.training_choices["fine_tune"]
    assert (choice.site, choice.option, choice.cooling) == ("dallas", "gb200", "direct_to_chip")
    assert res.costs.capital <= scn.rules.capital_budget_usd_per_year
    assert {a.hardware for a in res.serving} <= {"h100_server", "cpu_server"}


def test_readme_plan_over_years_prints_what_it_says(capsys):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Planning over years", 1)[1]
    block = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)
    out = capsys.readouterr().out
    assert "2027 ('a', 'b') opened ('b',)" in out
    assert "2028 ('a', 'b')" in out
    assert "optimal: 22,484,430 USD present value" in out
    said = section.split("```", 2)[2]
    assert "optimal: 22,484,430 USD\npresent value" in said


def test_readme_resilience_example_runs_as_described(tmp_path, monkeypatch, capsys):
    # N-1 with a degraded SLO, a split cluster too big for any one site, a soft SLO, and the
    # three best distinct plans, as written in README.md
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Resilience and choice", 1)[1]
    block = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)
    res, plans = namespace["res"], namespace["plans"]
    assert res.status is pl.Status.OPTIMAL and res.site_loss.covered
    assert len(res.training_choices["pretrain"].parts) == 2  # 325 MW fits no 300 MW site whole
    assert {v.rule for v in res.violations} == {"slo"}
    features = {c.feature: c for c in res.comparisons}
    assert features["resilience"].difference > 0
    assert features["split:pretrain"].status == "infeasible"
    assert plans.verified and len(plans) == 3
    out = capsys.readouterr().out
    assert "fails:" in out and "re-served" in out
