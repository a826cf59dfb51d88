"""Every Python example in docs/*.md and in Lucid's docstrings runs as printed."""

import doctest
import importlib
import os
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

import lucid

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = sorted(DOCS.glob("**/*.md"))
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)
# Examples that need an optional package are skipped where it is missing (CI installs them).
OPTIONAL = {"torch", "onnx", "onnxruntime", "safetensors", "pytest"}


def test_the_docs_have_python_examples():
    assert PAGES and sum(len(BLOCK.findall(p.read_text())) for p in PAGES) >= 10


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_page_examples_run(page, tmp_path, monkeypatch):
    """A page's blocks run in order in one namespace, as a reader would paste them."""
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": f"docs_{page.stem}"}
    for number, block in enumerate(BLOCK.findall(page.read_text()), 1):
        code = compile(block, f"{page.name} (python block {number})", "exec")
        try:
            exec(code, namespace)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.split(".")[0] in OPTIONAL:
                pytest.skip(f"{page.name} block {number} needs {exc.name}")
            raise


def _modules():
    yield lucid
    for info in pkgutil.walk_packages(lucid.__path__, "lucid."):
        if ".examples" not in info.name:
            yield importlib.import_module(info.name)


def test_docstring_examples_run():
    """Any ``>>>`` example in a docstring (doctest)."""
    finder, runner = doctest.DocTestFinder(), doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for module in _modules():
        for test in finder.find(module, module.__name__):
            runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


@pytest.mark.slow
def test_site_builds_strictly(tmp_path):
    """``mkdocs build --strict``: every page, link and API reference entry resolves."""
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings")
    root = DOCS.parent
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    cmd = [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "site")]
    done = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "site" / "api" / "nn" / "index.html").is_file()
