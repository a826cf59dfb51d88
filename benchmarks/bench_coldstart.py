"""asv: cold start, each sample in a fresh Python process: import time, resident memory after
import, and the first training step once Numba's on-disk cache is warm.

DESIGN.md's targets: ``import lucid`` under 0.3 s (it must load neither numba nor scipy) and
the first training step with a warm cache under 1 s.
"""

import os

for _var in ("OMP_NUM_THREADS", "NUMBA_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"  # one thread, set before NumPy or Numba loads
for _var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
    os.environ.pop(_var, None)  # in the benchmark process only, never in tests or CI

import importlib.util  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import textwrap  # noqa: E402
from pathlib import Path  # noqa: E402

from . import set_jit  # noqa: E402

# Bytecode caching on, as for an installed package: else every sample compiles Lucid anew.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
# The fresh processes must import the Lucid this process imports. An installed one they find
# by themselves; a checkout (``asv run --python=same`` with ASV_PYTHONPATH=src, which asv does
# not pass on to subprocesses) they find through PYTHONPATH, which they inherit from here.
_ROOT = Path(importlib.util.find_spec("lucid").origin).parents[1]
if not {"site-packages", "dist-packages"} & set(_ROOT.parts):
    os.environ["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(_ROOT), os.environ.get("PYTHONPATH")])
    )

RSS_AFTER = """
import {module}
with open("/proc/self/status") as f:
    print(next(int(line.split()[1]) for line in f if line.startswith("VmRSS:")) / 1024)
"""

# Built in the timed process's untimed setup; the timed statement is one step.
MODELS = {
    "mlp": """
        model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                              nn.Linear(256, 10))
        x = lucid.tensor(rng.standard_normal((128, 784)).astype(np.float32))
        """,
    "cnn": """
        model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Flatten(), nn.Linear(1568, 10))
        x = lucid.tensor(rng.standard_normal((64, 1, 28, 28)).astype(np.float32))
        """,
}
STEP = """
opt.zero_grad()
F.cross_entropy(model(x), y).backward()
opt.step()
"""


def _setup_code(model, jit):
    return (
        f"import os\nos.environ['LUCID_DISABLE_JIT'] = '{0 if jit else 1}'\n"
        "import numpy as np\nimport lucid\nimport lucid.nn as nn\n"
        "import lucid.nn.functional as F\nimport lucid.optim\n"
        "rng = np.random.default_rng(0)\n"
        + textwrap.dedent(MODELS[model])
        + "y = lucid.tensor(rng.integers(0, 10, x.shape[0]))\n"
        "opt = lucid.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)\n"
    )


def timeraw_import_numpy():
    return "import numpy"


def timeraw_import_lucid():
    return "import lucid"


def track_rss_after_import_lucid_mb():
    code = RSS_AFTER.format(module="lucid")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout)


track_rss_after_import_lucid_mb.unit = "MB"


def track_numba_loaded_by_import_lucid():
    code = "import sys, lucid; print(int('numba' in sys.modules or 'scipy' in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout)


track_numba_loaded_by_import_lucid.unit = "1 if numba or scipy loaded"


class FirstTrainingStep:
    """The first SGD step of a fresh process, Numba's cache already filled (as after an
    earlier run or ``lucid.precompile()``); with jit=False, the NumPy references."""

    params = ([True, False], list(MODELS))
    param_names = ["jit", "model"]
    timeout = 600

    def setup_cache(self):
        # Runs once, before any sample; timeraw benchmarks get no argument for its result.
        # Compile every kernel the steps use into Numba's on-disk cache, in a process of its own.
        for model in MODELS:
            code = _setup_code(model, True) + STEP
            subprocess.run([sys.executable, "-c", code], check=True)

    def setup(self, jit, model):
        set_jit(jit)  # only to skip jit=True when Numba is unavailable

    def timeraw_first_step(self, jit, model):
        return STEP, _setup_code(model, jit)

    def timeraw_import_build_and_first_step(self, jit, model):
        return _setup_code(model, jit) + STEP
