"""Type stubs of the Rust extension module (python/src/lib.rs). Use the ``edgemark`` package's
API (``edgemark.Detector``, ``edgemark.Watermark``, ...), which wraps these."""

from typing import Callable, List, Optional, Sequence, Tuple

__version__: str
DEFAULT_FPR: float

class Error(Exception): ...

# (path, None, None) | (None, encoded bytes, None) | (None, pixels, (width, height, format))
_Item = Tuple[Optional[str], Optional[bytes], Optional[Tuple[int, int, str]]]
_Progress = Optional[Callable[[int, int], None]]

class Watermark:
    def __init__(
        self,
        scheme: str,
        message: Optional[str],
        bits: Optional[int],
        style: Optional[str],
        convention: Optional[str],
        name: Optional[str],
        models: Sequence[str],
    ) -> None: ...
    @property
    def name(self) -> str: ...
    @property
    def scheme(self) -> str: ...
    @property
    def bit_len(self) -> int: ...
    @property
    def message(self) -> Optional[str]: ...
    def embed(
        self, item: _Item, png: bool = False
    ) -> Tuple[int, int, bytes, Optional[bytes], float, Optional[bytes]]: ...
    def embed_file(self, input: str, output: str) -> float: ...

class Detector:
    def __init__(
        self,
        presets: Optional[Sequence[str]],
        schemes: Sequence[Tuple[str, Optional[str], Optional[int], Optional[str]]],
        watermarks: Sequence[Watermark],
        models: Sequence[str],
        fpr: float,
    ) -> None: ...
    @property
    def fpr(self) -> float: ...
    @property
    def watermarks(self) -> List[str]: ...
    def detect(self, item: _Item) -> str: ...
    def detect_many(self, items: Sequence[_Item], jobs: Optional[int] = None) -> List[str]: ...

def schemes(models: Sequence[str]) -> List[str]: ...
def imw_decode(
    method: str,
    nbits: int,
    width: int,
    height: int,
    bgr: bytes,
    float: bool,
    scales: Tuple[float, float],
    block: int,
) -> List[bool]: ...
def imw_encode(
    method: str,
    bits: Sequence[bool],
    width: int,
    height: int,
    bgr: bytes,
    scales: Tuple[float, float],
    block: int,
) -> bytes: ...
def dataset_mark(
    input: str,
    output: str,
    recipient: str,
    fraction: float,
    key: str,
    manifest: Optional[str],
    psnr: float,
    salt: Optional[str],
    jobs: Optional[int],
    progress: _Progress,
) -> Tuple[str, str]: ...
def dataset_audit(
    manifests: Sequence[str],
    suspect: str,
    fpr: float,
    jobs: Optional[int],
    progress: _Progress,
) -> str: ...
