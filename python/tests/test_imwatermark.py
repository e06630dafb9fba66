"""edgemark.imwatermark against the real invisible-watermark 0.2.0: same bits, same pixels."""

import numpy as np
import pytest

from conftest import FIXTURES, load_rgb, photos
from edgemark import imwatermark as shim


def bgr_images():
    out = [np.ascontiguousarray(load_rgb(p)[:, :, ::-1]) for p in photos(4)]
    out += [np.ascontiguousarray(load_rgb(FIXTURES / f)[:, :, ::-1]) for f in ("chelsea_sdxl.png", "coffee_imw_uint8.png")]
    return out


@pytest.mark.parametrize("method", ["dwtDct", "dwtDctSvd"])
def test_decoder_gives_imwatermarks_bits_on_marked_and_clean_images(imwatermark, method):
    rng = np.random.default_rng(7)
    for i, bgr in enumerate(bgr_images()):
        for wm_type, length in (("bits", 48), ("bytes", 136), ("b16", 32)):
            ref_dec = imwatermark.WatermarkDecoder(wm_type, length)
            dec = shim.WatermarkDecoder(wm_type, length)
            # Clean.
            want, got = ref_dec.decode(bgr, method), dec.decode(bgr, method)
            assert type(got) is type(want)
            assert np.array_equal(got, want) if wm_type == "bits" else got == want
            # Marked by imwatermark's own encoder with a random message.
            enc = imwatermark.WatermarkEncoder()
            enc.set_watermark("bits", rng.integers(0, 2, length).tolist())
            marked = enc.encode(bgr, method)
            want, got = ref_dec.decode(marked, method), dec.decode(marked, method)
            assert np.array_equal(got, want) if wm_type == "bits" else got == want, (i, method, wm_type)


def test_decoder_types_scales_and_block(imwatermark):
    bgr = bgr_images()[0]
    enc = imwatermark.WatermarkEncoder()
    enc.set_watermark("uuid", "9f2b7a3e-3c1d-4e5f-8a9b-0c1d2e3f4a5b")
    assert shim.WatermarkDecoder("uuid").decode(enc.encode(bgr, "dwtDct"), "dwtDct") == (
        "9f2b7a3e-3c1d-4e5f-8a9b-0c1d2e3f4a5b"
    )
    marked = enc.encode(bgr, "dwtDct", scales=[0, 24, 0], block=8)
    for wm_type, length in (("uuid", 128), ("bits", 128), ("bits", 7)):
        want = imwatermark.WatermarkDecoder(wm_type, length).decode(marked, "dwtDct", scales=[0, 24, 0], block=8)
        got = shim.WatermarkDecoder(wm_type, length).decode(marked, "dwtDct", scales=[0, 24, 0], block=8)
        assert np.array_equal(got, want) if wm_type == "bits" else got == want
    # float32 images (whole numbers, as a pipeline hands them over) read with imwatermark's
    # float arithmetic.
    as_float = marked.astype(np.float32)
    want = imwatermark.WatermarkDecoder("bits", 128).decode(as_float, "dwtDct", scales=[0, 24, 0], block=4)
    got = shim.WatermarkDecoder("bits", 128).decode(as_float, "dwtDct", scales=[0, 24, 0], block=4)
    assert np.array_equal(got, want)


@pytest.mark.parametrize(
    "wm_type,content,configs",
    [
        ("bytes", b"EdgeMark", {}),
        ("bits", [1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1, 1, 0, 1, 0], {}),
        ("b16", "B3EC907BB19E", {"scales": [0, 24, 0], "block": 8}),
        # Both Y and U carry the mark: their votes are averaged.
        ("bytes", b"YU", {"scales": [20, 30, 0]}),
    ],
)
def test_encoder_gives_imwatermarks_pixels(imwatermark, wm_type, content, configs):
    for bgr in bgr_images()[:3]:
        for method in ("dwtDct", "dwtDctSvd"):
            ref, ours = imwatermark.WatermarkEncoder(), shim.WatermarkEncoder()
            for e in (ref, ours):
                e.set_watermark(wm_type, content)
            want = ref.encode(bgr, method, **configs)
            got = ours.encode(bgr, method, **configs)
            assert got.dtype == want.dtype and got.shape == want.shape
            assert np.array_equal(got, want), method
            n = ref.get_length()
            ref_bits = imwatermark.WatermarkDecoder("bits", n).decode(want, method, **configs)
            assert np.array_equal(shim.WatermarkDecoder("bits", n).decode(got, method, **configs), ref_bits)


def test_a_fourth_channel_is_ignored_as_opencv_ignores_it(imwatermark):
    bgr = bgr_images()[1]
    bgra = np.concatenate([bgr, np.full(bgr.shape[:2] + (1,), 7, np.uint8)], axis=2)
    want = imwatermark.WatermarkDecoder("bits", 48).decode(bgra, "dwtDct")
    assert np.array_equal(shim.WatermarkDecoder("bits", 48).decode(bgra, "dwtDct"), want)
    enc = imwatermark.WatermarkEncoder()
    enc.set_watermark("bytes", b"RGBA")
    ours = shim.WatermarkEncoder()
    ours.set_watermark("bytes", b"RGBA")
    assert np.array_equal(ours.encode(bgra, "dwtDct"), enc.encode(bgra, "dwtDct"))


def test_errors_match_imwatermarks(imwatermark):
    small = np.zeros((128, 128, 3), np.uint8)
    for module in (imwatermark, shim):
        with pytest.raises(RuntimeError, match="too small"):
            module.WatermarkDecoder("bits", 48).decode(small)
        with pytest.raises(NameError):
            module.WatermarkDecoder("bits", 48).decode(np.zeros((256, 256, 3), np.uint8), "dwtFoo")
        with pytest.raises(NameError):
            module.WatermarkDecoder("morse", 8)


def test_what_the_shim_refuses_it_says_why():
    dec = shim.WatermarkDecoder("bits", 48)
    with pytest.raises(NotImplementedError, match="rivagan"):
        dec.decode(np.zeros((256, 256, 3), np.uint8), "rivaGan")
    with pytest.raises(ValueError, match="whole numbers"):
        dec.decode(np.full((256, 256, 3), 0.5, np.float32))
    enc = shim.WatermarkEncoder(b"x")
    with pytest.raises(TypeError, match="8-bit"):
        enc.encode(np.zeros((256, 256, 3), np.float32))
