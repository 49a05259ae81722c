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
