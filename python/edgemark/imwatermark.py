"""A drop-in for invisible-watermark's (``imwatermark``) decoder and encoder, run by EdgeMark.

Switch with one import::

    # from imwatermark import WatermarkDecoder, WatermarkEncoder
    from edgemark.imwatermark import WatermarkDecoder, WatermarkEncoder

    bits = WatermarkDecoder("bits", 48).decode(cv2.imread("image.png"), "dwtDct")

The same calls give the same results as invisible-watermark 0.2.0: ``decode`` the same bits
(``dwtDct`` and ``dwtDctSvd``; lengths 1 to 4096, blocks 2 to 32, non-negative ``scales``),
``encode`` the same pixels, on ``uint8`` BGR images as ``cv2.imread`` gives them (a fourth
channel is ignored, as OpenCV's colour conversion ignores it; ``encode`` returns BGR, as
imwatermark does). ``float32`` images holding whole numbers (0-255) are decoded with
imwatermark's float arithmetic. Not offered, with a clear error: other float images (EdgeMark
reads 8-bit pixels), ``encode`` on float images (Stable Diffusion XL's pipeline marks float32
images: ``edgemark.Watermark("sdxl")`` writes its mark on 8-bit ones), and ``rivaGan`` (use
``edgemark.Detector(watermarks=[{"scheme": "rivagan", "message": ...}])``).

For a decision with a false-positive rate instead of raw bits, use :class:`edgemark.Detector`.
"""

from __future__ import annotations

import base64
import struct
import uuid
from typing import Any, List, Sequence

import numpy as np

from . import _native

__all__ = ["WatermarkDecoder", "WatermarkEncoder"]

_DEFAULT_SCALES = [0, 36, 36]
_DEFAULT_BLOCK = 4


def _configs(method: str, configs: dict) -> tuple:
    if method == "rivaGan":
        raise NotImplementedError(
            "rivaGan: use edgemark.Detector(watermarks=[{'scheme': 'rivagan', 'message': ...}]) "
            "(its model comes from scripts/fetch-rivagan.sh)"
        )
    if method not in ("dwtDct", "dwtDctSvd"):
        raise NameError("%s is not supported" % method)
    unknown = set(configs) - {"scales", "block"}
    if unknown:
        raise TypeError(f"unexpected configuration {sorted(unknown)} (imwatermark takes scales and block)")
    scales = list(configs.get("scales", _DEFAULT_SCALES))
    if len(scales) < 2:
        raise ValueError("scales has a value for Y and U (and V, which imwatermark never reads)")
    return (float(scales[0]), float(scales[1])), int(configs.get("block", _DEFAULT_BLOCK))


def _bgr(image: Any, allow_float: bool) -> tuple:
    """(width, height, bytes, float arithmetic) of an HxWx3 BGR image."""
    a = np.asarray(image)
    (r, c, channels) = a.shape
    if r * c < 256 * 256:
        raise RuntimeError("image too small, should be larger than 256x256")
    if channels == 4:
        a = a[:, :, :3]  # OpenCV's BGR2YUV ignores the fourth channel
    elif channels != 3:
        raise ValueError(f"a BGR image has 3 or 4 channels, not {channels}")
    if a.dtype == np.uint8:
        return c, r, np.ascontiguousarray(a).tobytes(), False
    if allow_float and a.dtype == np.float32:
        if np.all((a >= 0) & (a <= 255) & (a == np.rint(a))):
            return c, r, np.ascontiguousarray(a.astype(np.uint8)).tobytes(), True
        raise ValueError(
            "EdgeMark reads 8-bit pixels: this float32 image has values that are not whole numbers in 0..255"
        )
    if a.dtype in (np.float32, np.float64):
        raise TypeError(
            "EdgeMark encodes 8-bit images only (imwatermark's float path keeps fractional pixels); "
            "convert with np.clip(np.rint(x), 0, 255).astype(np.uint8), or use edgemark.Watermark('sdxl')"
        )
    raise TypeError(f"pixels must be uint8 (or float32 holding whole numbers when decoding), not {a.dtype}")


class WatermarkEncoder(object):
    """imwatermark's ``WatermarkEncoder``: ``set_watermark(wmType, content)``, then
    ``encode(bgr, method)`` returns the marked BGR image, pixel for pixel what imwatermark
    writes."""

    def __init__(self, content: bytes = b"") -> None:
        self.set_by_bytes(content)

    def set_by_ipv4(self, addr: str) -> None:
        bits: List[int] = []
        for ip in addr.split("."):
            bits += list(np.unpackbits(np.array([ip % 255], dtype=np.uint8)))
        self._watermarks = bits
        self._wmLen = len(bits)
        self._wmType = "ipv4"
        assert self._wmLen == 32

    def set_by_uuid(self, uid: str) -> None:
        u = uuid.UUID(uid)
        self._wmType = "uuid"
        self._watermarks = list(np.unpackbits(np.frombuffer(u.bytes, dtype=np.uint8)))
        self._wmLen = len(self._watermarks)

    def set_by_bytes(self, content: bytes) -> None:
        self._wmType = "bytes"
        self._watermarks = list(np.unpackbits(np.array([n for n in content], dtype=np.uint8)))
        self._wmLen = len(self._watermarks)

    def set_by_b16(self, b16: Any) -> None:
        self.set_by_bytes(base64.b16decode(b16))
        self._wmType = "b16"

    def set_by_bits(self, bits: Sequence[Any] = ()) -> None:
        self._watermarks = [int(bit) % 2 for bit in bits]
        self._wmLen = len(self._watermarks)
        self._wmType = "bits"

    def set_watermark(self, wmType: str = "bytes", content: Any = "") -> None:
        setters = {
            "ipv4": self.set_by_ipv4,
            "uuid": self.set_by_uuid,
            "bits": self.set_by_bits,
            "bytes": self.set_by_bytes,
            "b16": self.set_by_b16,
        }
        if wmType not in setters:
            raise NameError("%s is not supported" % wmType)
        setters[wmType](content)

    def get_length(self) -> int:
        return self._wmLen

    @classmethod
    def loadModel(cls) -> None:
        """Kept for compatibility (rivaGan's model); nothing to load for dwtDct/dwtDctSvd."""

    def encode(self, cv2Image: Any, method: str = "dwtDct", **configs: Any) -> np.ndarray:
        scales, block = _configs(method, configs)
        width, height, data, _ = _bgr(cv2Image, allow_float=False)
        bits = [bool(b) for b in self._watermarks]
        out = _native.imw_encode(method, bits, width, height, data, scales, block)
        return np.frombuffer(out, dtype=np.uint8).reshape(height, width, 3).copy()


class WatermarkDecoder(object):
    """imwatermark's ``WatermarkDecoder``: ``WatermarkDecoder(wm_type, length).decode(bgr,
    method)`` gives the same bits, bytes, hex, UUID or IPv4 text as imwatermark."""

    def __init__(self, wm_type: str = "bytes", length: int = 0) -> None:
        self._wmType = wm_type
        if wm_type == "ipv4":
            self._wmLen = 32
        elif wm_type == "uuid":
            self._wmLen = 128
        elif wm_type in ("bytes", "bits", "b16"):
            self._wmLen = length
        else:
            raise NameError("%s is unsupported" % wm_type)

    def reconstruct_ipv4(self, bits: Any) -> str:
        return ".".join(str(ip) for ip in list(np.packbits(bits)))

    def reconstruct_uuid(self, bits: Any) -> str:
        nums = np.packbits(bits)
        return str(uuid.UUID(bytes=b"".join(struct.pack(">B", nums[i]) for i in range(16))))

    def reconstruct_bits(self, bits: Any) -> Any:
        return bits

    def reconstruct_b16(self, bits: Any) -> bytes:
        return base64.b16encode(self.reconstruct_bytes(bits))

    def reconstruct_bytes(self, bits: Any) -> bytes:
        nums = np.packbits(bits)
        return b"".join(struct.pack(">B", nums[i]) for i in range(self._wmLen // 8))

    def reconstruct(self, bits: Any) -> Any:
        if len(bits) != self._wmLen:
            raise RuntimeError("bits are not matched with watermark length")
        if self._wmType == "ipv4":
            return self.reconstruct_ipv4(bits)
        if self._wmType == "uuid":
            return self.reconstruct_uuid(bits)
        if self._wmType == "bits":
            return self.reconstruct_bits(bits)
        if self._wmType == "b16":
            return self.reconstruct_b16(bits)
        return self.reconstruct_bytes(bits)

    def decode(self, cv2Image: Any, method: str = "dwtDct", **configs: Any) -> Any:
        scales, block = _configs(method, configs)
        width, height, data, is_float = _bgr(cv2Image, allow_float=True)
        if self._wmLen <= 0:
            raise ValueError("the watermark length must be positive")
        bits = _native.imw_decode(method, self._wmLen, width, height, data, is_float, scales, block)
        return self.reconstruct(np.array(bits, dtype=bool))

    @classmethod
    def loadModel(cls) -> None:
        """Kept for compatibility (rivaGan's model); nothing to load for dwtDct/dwtDctSvd."""
