"""Images in, model inputs out: decoding untrusted bytes safely, and preprocessing for a model."""

from imagepredict.imaging.decode import DecodedImage, ImageRejected, decode_image, sniff_format
from imagepredict.imaging.preprocess import to_model_input

__all__ = ["DecodedImage", "ImageRejected", "decode_image", "sniff_format", "to_model_input"]
