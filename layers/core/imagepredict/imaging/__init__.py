"""Untrusted bytes in, an upright RGB image (or a clear reason why not) out. Knows nothing of models."""

from imagepredict.imaging.decode import DecodedImage, ImageRejected, decode_image, sniff_format

__all__ = ["DecodedImage", "ImageRejected", "decode_image", "sniff_format"]
