"""`make bench`: what users pay for, measured side by side with the original app's TensorFlow approach."""

import sys
from pathlib import Path

_CORE = str(Path(__file__).resolve().parents[1] / "layers" / "core")
if _CORE not in sys.path:
    sys.path.insert(0, _CORE)  # the imagepredict package, as the functions see it through their layer
