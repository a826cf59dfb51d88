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


def _documented() -> set[str]:
    text = "".join(p.read_text() for p in (DOCS / "api").glob("*.md"))
    return set(re.findall(r"^::: ([\w.]+)", text, re.MULTILINE))


@pytest.mark.parametrize("namespace", ["lucid", "lucid.nn", "lucid.nn.functional", "lucid.optim"])
def test_every_public_name_is_in_the_api_reference(namespace):
    """Each public function and class is documented: by name, by its defining module, or in
    the ``__all__`` of a documented namespace (mkdocstrings renders those re-exports)."""
    documented = _documented()
    module = importlib.import_module(namespace)
    missing = []
    for name in dir(module):
        obj = getattr(module, name)
        if name.startswith("_") or isinstance(obj, type(lucid)) or not callable(obj):
            continue
        where = getattr(obj, "__module__", "") or ""
        if where.startswith("numpy") or name in ("Tensor",) and "lucid.Tensor" in documented:
            continue  # dtypes are NumPy's
        exported = namespace in documented and name in getattr(module, "__all__", ())
        if not exported and not {where, f"{where}.{name}", f"{namespace}.{name}"} & documented:
            missing.append(f"{namespace}.{name} ({where})")
    assert not missing, f"not in docs/api: {missing}"


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
