"""Why a model said what it said: occlusion-sensitivity maps from forward passes only, coloured over the image.

Depends on imagepredict.model's Classifier protocol (predict_batch) and NumPy/Pillow; imaging/ and model/ never
import it. Wiring it into the API, the queue and the email is the callers' business.
"""

from imagepredict.explain.colormap import VIRIDIS, colorize, heatmap_png, overlay, upsample
from imagepredict.explain.occlusion import BASELINE, GRID, MAX_BATCH_BYTES, METHOD, Saliency, explain

__all__ = [
    "BASELINE",
    "GRID",
    "MAX_BATCH_BYTES",
    "METHOD",
    "VIRIDIS",
    "Saliency",
    "colorize",
    "explain",
    "heatmap_png",
    "overlay",
    "upsample",
]
