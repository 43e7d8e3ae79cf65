"""Images in, model inputs out."""

from imagepredict.imaging.preprocess import to_model_input

__all__ = ["to_model_input"]
