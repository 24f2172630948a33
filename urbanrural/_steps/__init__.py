"""Pipeline steps, one module per ``analyses`` section (plus ``maps``).

Each module registers its step with :func:`urbanrural.pipeline.analysis`; importing this
package imports every module in it, so adding a step means adding a file here.
"""

from __future__ import annotations

import importlib
import pkgutil

for _mod in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_mod}")
