"""EdgeMark: find and embed invisible watermarks in images, on the CPU.

The Rust library behind the ``edgemark`` command line, browser package and C ABI, from
Python. Every result has the shape of ``edgemark detect --json``::

    >>> import edgemark
    >>> detector = edgemark.Detector()            # every open generator watermark (SDXL, FLUX, ...)
    >>> record = detector.detect("photo.png")     # a path, encoded bytes, or a numpy array
    >>> record["provenance"]["ai_generated"], [f["watermark"] for f in record["findings"] if f["detected"]]

Images are paths (``str`` or ``os.PathLike``), encoded files (``bytes``: PNG, JPEG, WebP,
GIF, BMP, TIFF), or numpy arrays of ``uint8`` pixels: ``HxWx3`` RGB (``order="bgr"`` for
OpenCV's BGR), ``HxWx4`` RGBA/BGRA, or ``HxW`` gray. Errors raise :class:`edgemark.Error`
with the library's message.

``edgemark.imwatermark`` is a drop-in for invisible-watermark's ``WatermarkDecoder`` and
``WatermarkEncoder`` (same bits, same pixels).
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

from . import _native
from ._native import DEFAULT_FPR, Error, __version__

__all__ = [
    "DEFAULT_FPR",
    "Detector",
    "Error",
    "Watermark",
    "__version__",
    "dataset_audit",
    "dataset_mark",
    "schemes",
]

PathLike = Union[str, "os.PathLike[str]"]
ImageInput = Any  # a path, bytes, or a numpy array (see the module docs)
Progress = Union[None, bool, Callable[[int, int], None]]

_ORDERS = ("rgb", "bgr")


def _item(image: ImageInput, order: str) -> Tuple[Optional[str], Optional[bytes], Optional[Tuple[int, int, str]]]:
    """What the native module takes: (path, None, None), (None, bytes, None) or
    (None, pixels, (width, height, format))."""
    if order not in _ORDERS:
        raise ValueError(f"order must be 'rgb' or 'bgr', not {order!r}")
    if isinstance(image, (str, os.PathLike)):
        path = os.fspath(image)
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        return (path, None, None)
    if isinstance(image, (bytes, bytearray, memoryview)):
        return (None, bytes(image), None)
    if hasattr(image, "__array_interface__") or hasattr(image, "__array__"):
        return _array_item(image, order)
    raise TypeError(
        f"an image is a path, encoded bytes or a numpy array of uint8 pixels, not {type(image).__name__}"
    )


def _array_item(image: Any, order: str) -> Tuple[None, bytes, Tuple[int, int, str]]:
    import numpy as np

    a = np.asarray(image)
    if a.dtype != np.uint8:
        raise TypeError(
            f"pixels must be uint8 (got {a.dtype}); convert with np.clip(np.rint(x), 0, 255).astype(np.uint8)"
        )
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim == 2:
        fmt = "gray"
    elif a.ndim == 3 and a.shape[2] in (3, 4):
        fmt = order + ("a" if a.shape[2] == 4 else "")
    else:
        raise ValueError(f"pixels must be HxW, HxWx3 or HxWx4, not shape {a.shape}")
    height, width = a.shape[:2]
    return (None, np.ascontiguousarray(a).tobytes(), (int(width), int(height), fmt))


def _message(message: Any) -> Optional[str]:
    """A message as the library parses it: 0xHEX, bits:0101..., text:..., bare hex; bytes or
    a sequence of 0/1 are accepted too."""
    if message is None or isinstance(message, str):
        return message
    if isinstance(message, (bytes, bytearray)):
        return "0x" + bytes(message).hex()
    try:
        bits = [int(b) for b in message]
    except TypeError:
        raise TypeError(f"a message is a str, bytes or a sequence of 0/1, not {type(message).__name__}") from None
    if any(b not in (0, 1) for b in bits):
        raise ValueError("a bit sequence holds only 0 and 1")
    return "bits:" + "".join(map(str, bits))


def _paths(paths: Optional[Iterable[PathLike]]) -> List[str]:
    if paths is None:
        return []
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    return [os.fspath(p) for p in paths]


def _progress(progress: Progress) -> Optional[Callable[[int, int], None]]:
    if progress is None or progress is False:
        return None
    if progress is True:
        return _StderrBar()
    if not callable(progress):
        raise TypeError("progress is a callable(done, total), True or None")
    return progress


class _StderrBar:
    """A one-line progress bar on stderr."""

    def __call__(self, done: int, total: int) -> None:
        width = 40
        filled = width * done // max(total, 1)
        end = "\n" if done >= total else ""
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} files{end}")
        sys.stderr.flush()


class Watermark:
    """A scheme with its message: what a :class:`Detector` looks for, and what
    :meth:`embed` writes.

    ``scheme`` is any name ``edgemark.schemes()`` lists: a preset (``"sdxl"``, carries its
    own message), a classical scheme (``"dwtDct"``, ``"dwtDctSvd"``: give ``message`` or
    ``bits``), EdgeMark's own ``"edgemark-v3"`` (any 32-bit payload, decided without
    knowing it), or a model card's name (``models`` adds model folders).

    >>> mark = edgemark.Watermark("dwtDct", "text:EdgeMark")      # 64 bits
    >>> marked = mark.embed(pixels)                               # numpy in, numpy out
    >>> edgemark.Detector(watermarks=[mark]).detect(marked)["findings"][0]["detected"]
    True
    """

    def __init__(
        self,
        scheme: str,
        message: Any = None,
        *,
        bits: Optional[int] = None,
        style: Optional[str] = None,
        convention: Optional[str] = None,
        name: Optional[str] = None,
        models: Optional[Iterable[PathLike]] = None,
    ) -> None:
        self._native = _native.Watermark(
            scheme, _message(message), bits, style, convention, name, _paths(models)
        )

    @property
    def name(self) -> str:
        """The name findings are reported under."""
        return self._native.name

    @property
    def scheme(self) -> str:
        """The scheme that reads and writes it (e.g. ``"dwtDct"``)."""
        return self._native.scheme

    @property
    def bit_len(self) -> int:
        """Payload bits."""
        return self._native.bit_len

    @property
    def message(self) -> Optional[str]:
        """The message as ``0``/``1`` characters, when one is bound."""
        return self._native.message

    def __repr__(self) -> str:
        return f"Watermark({self.name!r}, scheme={self.scheme!r}, bits={self.bit_len})"

    def embed(self, image: ImageInput, order: str = "rgb") -> Any:
        """Embeds the message. A numpy array gives a numpy array of the same layout
        (``HxWx3`` in ``order``, alpha kept; gray input gives ``HxWx3``); a path or encoded
        bytes give the marked image as PNG bytes."""
        item = _item(image, order)
        width, height, rgb, alpha, _psnr, png = self._native.embed(item, png=item[2] is None)
        if item[2] is None:
            return png
        import numpy as np

        out = np.frombuffer(rgb, dtype=np.uint8).reshape(height, width, 3)
        if order == "bgr":
            out = out[:, :, ::-1]
        if alpha is not None and item[2][2] in ("rgba", "bgra"):
            a = np.frombuffer(alpha, dtype=np.uint8).reshape(height, width, 1)
            out = np.concatenate([out, a], axis=2)
        return np.ascontiguousarray(out)

    def embed_file(self, input: PathLike, output: PathLike) -> float:
        """Embeds ``input`` into ``output`` (format from its extension; PNG keeps every
        bit) and returns the PSNR in dB."""
        return self._native.embed_file(os.fspath(input), os.fspath(output))


class Detector:
    """Looks for watermarks in images and decides with a calibrated false-positive rate.

    - ``presets``: preset names (default, when nothing else is named: every open generator
      watermark: sdxl, sd1, sd1-inpainting, sd2, flux, invokeai).
    - ``watermarks``: more to look for: :class:`Watermark` objects, scheme names
      (``"edgemark-v3"``), or dicts ``{"scheme": ..., "message": ..., "bits": ..., "name": ...}``.
    - ``models``: model folders (a folder holding ``card.toml``, or a folder of them) whose
      models ``watermarks`` and ``presets`` can name.
    - ``fpr``: false-positive rate per image over all the watermarks (p-values are
      family-wise).
    """

    def __init__(
        self,
        presets: Optional[Union[str, Sequence[str]]] = None,
        watermarks: Optional[Iterable[Union["Watermark", str, Dict[str, Any]]]] = None,
        models: Optional[Iterable[PathLike]] = None,
        fpr: float = DEFAULT_FPR,
    ) -> None:
        if isinstance(presets, str):
            presets = [presets]
        schemes: List[Tuple[str, Optional[str], Optional[int], Optional[str]]] = []
        objects = []
        for w in watermarks or []:
            if isinstance(w, Watermark):
                objects.append(w._native)
            elif isinstance(w, str):
                schemes.append((w, None, None, None))
            elif isinstance(w, dict):
                unknown = set(w) - {"scheme", "message", "bits", "name"}
                if unknown or "scheme" not in w:
                    raise ValueError(
                        f"a watermark dict has 'scheme' and optionally 'message', 'bits', 'name' (got {sorted(w)})"
                    )
                schemes.append((w["scheme"], _message(w.get("message")), w.get("bits"), w.get("name")))
            else:
                raise TypeError(f"a watermark is a Watermark, a scheme name or a dict, not {type(w).__name__}")
        self._native = _native.Detector(
            list(presets) if presets is not None else None, schemes, objects, _paths(models), float(fpr)
        )

    @property
    def fpr(self) -> float:
        """False-positive rate per image, over all the watermarks."""
        return self._native.fpr

    @property
    def watermarks(self) -> List[str]:
        """The names of the watermarks looked for, in order."""
        return self._native.watermarks

    def __repr__(self) -> str:
        return f"Detector(watermarks={self.watermarks!r}, fpr={self.fpr!r})"

    def detect(self, image: ImageInput, order: str = "rgb") -> Dict[str, Any]:
        """One image: ``{"file"?, "width", "height", "findings": [...], "provenance": {...}}``
        as ``edgemark detect --json`` prints it. An image that cannot be read raises
        :class:`edgemark.Error`."""
        return json.loads(self._native.detect(_item(image, order)))

    def detect_many(
        self, images: Iterable[ImageInput], order: str = "rgb", jobs: Optional[int] = None
    ) -> List[Dict[str, Any]]:
        """Many images on ``jobs`` threads (default: every core), without holding the GIL.
        One record each, in order; one that cannot be read has ``"error"`` instead of a
        report (nothing raises for it)."""
        items = [_item(i, order) for i in images]
        return [json.loads(r) for r in self._native.detect_many(items, jobs)]


def schemes(models: Optional[Iterable[PathLike]] = None) -> List[Dict[str, Any]]:
    """Every preset, scheme and model the library knows: ``{"kind", "name", "description",
    "bits", "code_bits", "preset", "default"}`` (``edgemark schemes --json``)."""
    return [json.loads(s) for s in _native.schemes(_paths(models))]


def dataset_mark(
    input: PathLike,
    output: PathLike,
    recipient: str,
    fraction: float,
    *,
    key: str = "",
    manifest: Optional[PathLike] = None,
    psnr: float = 40.5,
    salt: Optional[str] = None,
    jobs: Optional[int] = None,
    progress: Progress = None,
) -> Dict[str, Any]:
    """``edgemark dataset mark``: copies the dataset ``input`` to ``output``, marking
    ``fraction`` of its images for ``recipient`` (resumable; ``input`` is never written).
    Returns the manifest (also written to ``manifest``, default ``OUTPUT.manifest.json``),
    with ``"manifest_path"`` added. ``salt``: a fixed salt instead of a fresh random one
    (reproducible experiments and tests; copies handed out should each get a fresh one).
    ``progress``: ``True`` for a bar on stderr, or a callable ``(done, total)``."""
    text, path = _native.dataset_mark(
        os.fspath(input),
        os.fspath(output),
        recipient,
        float(fraction),
        key,
        os.fspath(manifest) if manifest is not None else None,
        float(psnr),
        salt,
        jobs,
        _progress(progress),
    )
    result = json.loads(text)
    result["manifest_path"] = path
    return result


def dataset_audit(
    manifests: Union[PathLike, Iterable[PathLike]],
    suspect: PathLike,
    *,
    fpr: float = DEFAULT_FPR,
    jobs: Optional[int] = None,
    progress: Progress = None,
) -> Dict[str, Any]:
    """``edgemark dataset audit``: does the folder ``suspect`` derive from a marked copy,
    and whose? Returns the audit's JSON object (``detected``, ``p_value``, ``recipient``,
    per-recipient evidence)."""
    return json.loads(
        _native.dataset_audit(_paths(manifests), os.fspath(suspect), float(fpr), jobs, _progress(progress))
    )
