#define _POSIX_C_SOURCE 200809L
/* C tests of libedgemark, run under valgrind by tests/run.sh.
 *
 *   test_edgemark MARKED.nv12 CLEAN.nv12 WIDTH HEIGHT EXPECTED_BITS MARKED.png \
 *                 V3.nv12 V3_WIDTH V3_HEIGHT V3_PAYLOAD
 *
 * V3.nv12 is a photo marked with edgemark-v3 by the Rust API; V3_PAYLOAD is the payload the
 * Rust API decodes from that NV12 frame without being told it (examples/make_nv12.rs).
 * MARKED.nv12 also serves as a file that exists but is not an image (edgemark_detect_file).
 *
 * EXPECTED_BITS is what the native Rust API reads from MARKED.nv12 (examples/make_nv12.rs).
 * Every check prints a line; the exit status is the number of failed checks (capped). */
#include <edgemark.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static EdgemarkFrame nv12_frame(const unsigned char *data, uint32_t w, uint32_t h) {
    size_t luma = (size_t)w * h, chroma = 2 * (size_t)((w + 1) / 2) * ((h + 1) / 2);
    EdgemarkFrame f = {EDGEMARK_PIXEL_FORMAT_NV12, w, h,
                       {{data, luma, w}, {data + luma, chroma, 0}, {NULL, 0, 0}}};
    return f;
}

/* Copies `rows` rows of `row` bytes into a buffer with `stride` bytes a row (junk padding). */
static unsigned char *pad_rows(const unsigned char *src, size_t row, size_t rows, size_t stride) {
    unsigned char *dst = malloc(stride * rows);
    if (!dst) abort();
    memset(dst, 0xA5, stride * rows);
    for (size_t r = 0; r < rows; r++) memcpy(dst + r * stride, src + r * row, row);
    return dst;
}

/* Detects in a frame; returns the first finding's bits (malloc'd) and detected flag. The
 * default detector's first finding is SDXL's (the others: the other generator presets). */
static char *detect(EdgemarkDetector *det, const EdgemarkFrame *frame, int *detected) {
    EdgemarkReport *report = NULL;
    char *bits = NULL;
    *detected = -1;
    EdgemarkStatus st = edgemark_detect_frame(det, frame, &report);
    if (st != EDGEMARK_STATUS_OK) {
        printf("      detect failed: %s: %s\n", edgemark_status_str(st), edgemark_last_error());
        return NULL;
    }
    EdgemarkFinding f;
    if (edgemark_report_count(report) >= 1 &&
        edgemark_report_finding(report, 0, &f) == EDGEMARK_STATUS_OK && f.error == NULL) {
        bits = strdup(f.bits);
        *detected = f.detected;
    }
    edgemark_report_free(report);
    return bits;
}

/* Detects in a frame whose first watermark cannot be read: returns that finding's status
 * (-1 when the call fails, the finding is missing, has no error or says detected) and copies
 * its error message into `error`. */
static int unread_status(EdgemarkDetector *det, const EdgemarkFrame *frame, char *error, size_t len) {
    EdgemarkReport *report = NULL;
    EdgemarkFinding f;
    int status = -1;
    snprintf(error, len, "(none)");
    if (edgemark_detect_frame(det, frame, &report) == EDGEMARK_STATUS_OK &&
        edgemark_report_finding(report, 0, &f) == EDGEMARK_STATUS_OK && f.error && !f.detected) {
        status = (int)f.status;
        snprintf(error, len, "%s", f.error);
    }
    edgemark_report_free(report);
    return status;
}

static int same(const char *a, const char *b) { return a && b && strcmp(a, b) == 0; }

static void expect_error(EdgemarkStatus got, EdgemarkStatus want, const char *what) {
    const char *msg = edgemark_last_error();
    CHECK(got == want && msg && msg[0], "%s -> %s (%s)", what, edgemark_status_str(got), msg);
}

int main(int argc, char **argv) {
    if (argc != 11) {
        fprintf(stderr, "usage: %s MARKED.nv12 CLEAN.nv12 W H EXPECTED_BITS MARKED.png V3.nv12 V3_W V3_H V3_PAYLOAD\n",
                argv[0]);
        return 100;
    }
    uint32_t w = (uint32_t)atoi(argv[3]), h = (uint32_t)atoi(argv[4]);
    const char *expected = argv[5];
    size_t marked_len = 0, clean_len = 0, png_len = 0;
    unsigned char *marked = read_file(argv[1], &marked_len);
    unsigned char *clean = read_file(argv[2], &clean_len);
    unsigned char *png = read_file(argv[6], &png_len);
    size_t luma = (size_t)w * h, cw = (w + 1) / 2, ch = (h + 1) / 2;
    if (!marked || !clean || !png || marked_len != luma + 2 * cw * ch || clean_len != marked_len) {
        fprintf(stderr, "cannot read the fixtures or wrong sizes\n");
        return 100;
    }
    printf("libedgemark %s\n", edgemark_version());

    EdgemarkDetector *det = NULL;
    CHECK(edgemark_detector_new(&det) == EDGEMARK_STATUS_OK && det, "detector_new");

    /* NV12: the watermark is found in the marked frame, with the Rust API's bits. */
    int detected = 0;
    EdgemarkFrame mf = nv12_frame(marked, w, h);
    char *nv12_bits = detect(det, &mf, &detected);
    CHECK(detected == 1, "SDXL watermark detected in the NV12 frame");
    CHECK(same(nv12_bits, expected), "NV12 bits equal the Rust API's: %s vs %s",
          nv12_bits ? nv12_bits : "(none)", expected);
    EdgemarkFrame cf = nv12_frame(clean, w, h);
    char *clean_bits = detect(det, &cf, &detected);
    CHECK(detected == 0 && clean_bits, "nothing detected in the clean NV12 frame (%s)",
          clean_bits ? clean_bits : "(none)");
    free(clean_bits);

    /* NV12 with padded strides. */
    unsigned char *py = pad_rows(marked, w, h, w + 64);
    unsigned char *puv = pad_rows(marked + luma, 2 * cw, ch, 2 * cw + 32);
    EdgemarkFrame pf = {EDGEMARK_PIXEL_FORMAT_NV12, w, h,
                        {{py, (w + 64) * (size_t)h, w + 64},
                         {puv, (2 * cw + 32) * ch, 2 * cw + 32},
                         {NULL, 0, 0}}};
    char *bits = detect(det, &pf, &detected);
    CHECK(same(bits, nv12_bits) && detected == 1, "NV12 with padded strides: same bits");
    free(bits);

    /* I420 (de-interleaved from the NV12 chroma, padded U/V strides). */
    unsigned char *u = malloc((cw + 16) * ch), *v = malloc((cw + 16) * ch);
    for (size_t r = 0; r < ch; r++)
        for (size_t c = 0; c < cw; c++) {
            u[r * (cw + 16) + c] = marked[luma + r * 2 * cw + 2 * c];
            v[r * (cw + 16) + c] = marked[luma + r * 2 * cw + 2 * c + 1];
        }
    EdgemarkFrame i420 = {EDGEMARK_PIXEL_FORMAT_I420, w, h,
                          {{marked, luma, 0}, {u, (cw + 16) * ch, cw + 16}, {v, (cw + 16) * ch, cw + 16}}};
    bits = detect(det, &i420, &detected);
    CHECK(same(bits, nv12_bits) && detected == 1, "I420: same bits as NV12");
    free(bits);

    /* RGB8 / BGR8 / RGBA8 with strides, from the library's own NV12 -> RGB conversion. */
    unsigned char *rgb = NULL;
    size_t rgb_len = 0;
    CHECK(edgemark_frame_to_rgb(&mf, &rgb, &rgb_len) == EDGEMARK_STATUS_OK && rgb_len == 3 * luma,
          "frame_to_rgb gives %zu bytes", rgb_len);
    size_t rs = 3 * (size_t)w + 8;
    unsigned char *rgbp = pad_rows(rgb, 3 * (size_t)w, h, rs);
    EdgemarkFrame rf = {EDGEMARK_PIXEL_FORMAT_RGB8, w, h, {{rgbp, rs * h, rs}, {0}, {0}}};
    bits = detect(det, &rf, &detected);
    CHECK(same(bits, nv12_bits) && detected == 1, "RGB8 with stride: same bits as NV12");
    free(bits);
    unsigned char *bgr = malloc(3 * luma), *rgba = malloc(4 * luma);
    for (size_t i = 0; i < luma; i++) {
        bgr[3 * i] = rgb[3 * i + 2], bgr[3 * i + 1] = rgb[3 * i + 1], bgr[3 * i + 2] = rgb[3 * i];
        memcpy(rgba + 4 * i, rgb + 3 * i, 3);
        rgba[4 * i + 3] = 255;
    }
    EdgemarkFrame bf = {EDGEMARK_PIXEL_FORMAT_BGR8, w, h, {{bgr, 3 * luma, 0}, {0}, {0}}};
    bits = detect(det, &bf, &detected);
    CHECK(same(bits, nv12_bits), "BGR8: same bits as NV12");
    free(bits);
    EdgemarkFrame af = {EDGEMARK_PIXEL_FORMAT_RGBA8, w, h, {{rgba, 4 * luma, 4 * (size_t)w}, {0}, {0}}};
    bits = detect(det, &af, &detected);
    CHECK(same(bits, nv12_bits), "RGBA8: same bits as NV12");
    free(bits);

    /* Encoded PNG: detected, the payload is SDXL's, and the decoded pixels give the same. */
    EdgemarkReport *report = NULL;
    CHECK(edgemark_detect_encoded(det, png, png_len, &report) == EDGEMARK_STATUS_OK,
          "detect_encoded(PNG)");
    EdgemarkFinding f;
    memset(&f, 0, sizeof f);
    CHECK(edgemark_report_finding(report, 0, &f) == EDGEMARK_STATUS_OK && f.detected &&
              f.has_p_value && f.p_value < 1e-6 && f.status == EDGEMARK_STATUS_OK && !f.error,
          "PNG: sdxl detected, p=%g, matched %lld/%zu", f.p_value, (long long)f.matched_bits,
          f.total_bits);
    CHECK(f.watermark && strcmp(f.watermark, "sdxl") == 0 && f.scheme && strcmp(f.scheme, "dwtDct") == 0,
          "finding names: watermark %s read by scheme %s", f.watermark ? f.watermark : "(null)",
          f.scheme ? f.scheme : "(null)");
    char *png_bits = f.bits ? strdup(f.bits) : NULL;
    /* The default detector: one finding per generator preset, SDXL's first. */
    CHECK(edgemark_report_count(report) == 6, "6 findings, one per default preset: %zu",
          edgemark_report_count(report));
    expect_error(edgemark_report_finding(report, edgemark_report_count(report), &f),
                 EDGEMARK_STATUS_OUT_OF_RANGE, "report_finding(index = count)");
    char *json = NULL;
    CHECK(edgemark_report_json(report, &json) == EDGEMARK_STATUS_OK && json &&
              strstr(json, "\"watermark\":\"sdxl\"") && strstr(json, "\"scheme\":\"dwtDct\"") &&
              !strstr(json, "\"method\"") && strstr(json, "\"detected\":true") &&
              strstr(json, "\"provenance\":{\"ai_generated\":true") &&
              strstr(json, "\"kind\":\"watermark\",\"source\":\"sdxl\""),
          "report_json: %.80s...", json ? json : "(null)");
    edgemark_string_free(json);
    edgemark_report_free(report);
    unsigned char *decoded = NULL;
    size_t decoded_len = 0;
    uint32_t dw = 0, dh = 0;
    CHECK(edgemark_decode_rgb(png, png_len, &decoded, &decoded_len, &dw, &dh) == EDGEMARK_STATUS_OK &&
              dw == w && dh == h && decoded_len == 3 * luma,
          "decode_rgb: %ux%u", dw, dh);
    EdgemarkFrame df = {EDGEMARK_PIXEL_FORMAT_RGB8, dw, dh, {{decoded, decoded_len, 0}, {0}, {0}}};
    bits = detect(det, &df, &detected);
    CHECK(same(bits, png_bits) && detected == 1, "decoded RGB: same bits as the encoded path");
    free(bits);
    free(png_bits);
    edgemark_buffer_free(decoded, decoded_len);

    /* Stream: the window grows to 3 frames, then a reset empties it. */
    EdgemarkStream *stream = NULL;
    CHECK(edgemark_stream_new(det, 3, &stream) == EDGEMARK_STATUS_OK, "stream_new(window 3)");
    for (int i = 1; i <= 4; i++) {
        report = NULL;
        EdgemarkStatus st = edgemark_stream_push(stream, i % 2 ? &mf : &pf, &report);
        CHECK(st == EDGEMARK_STATUS_OK && edgemark_report_frames(report) == (size_t)(i < 3 ? i : 3) &&
                  edgemark_report_any_detected(report),
              "stream push %d: %zu frames, detected", i, edgemark_report_frames(report));
        edgemark_report_free(report);
    }
    CHECK(edgemark_stream_reset(stream) == EDGEMARK_STATUS_OK, "stream_reset");
    report = NULL;
    CHECK(edgemark_stream_push(stream, &cf, &report) == EDGEMARK_STATUS_OK &&
              edgemark_report_frames(report) == 1 && !edgemark_report_any_detected(report),
          "stream after reset: 1 clean frame, nothing detected");
    edgemark_report_free(report);
    EdgemarkStream *no_stream = (EdgemarkStream *)&failures; /* must become NULL */
    expect_error(edgemark_stream_new(det, 0, &no_stream), EDGEMARK_STATUS_INVALID_ARGUMENT,
                 "stream_new(window 0)");
    CHECK(no_stream == NULL, "failed stream_new leaves NULL");

    /* Files: the PNG gives the encoded path's finding; a missing file is an I/O error and a
     * file that is not an image a decode error. */
    report = NULL;
    CHECK(edgemark_detect_file(det, argv[6], &report) == EDGEMARK_STATUS_OK &&
              edgemark_report_finding(report, 0, &f) == EDGEMARK_STATUS_OK && f.detected,
          "detect_file(PNG): detected");
    edgemark_report_free(report);
    report = (EdgemarkReport *)&failures; /* must be overwritten with NULL */
    expect_error(edgemark_detect_file(det, "/nonexistent/edgemark/photo.png", &report),
                 EDGEMARK_STATUS_IO, "detect_file(missing file)");
    CHECK(report == NULL, "out set to NULL on an I/O error");
    expect_error(edgemark_detect_file(det, argv[1], &report), EDGEMARK_STATUS_DECODE,
                 "detect_file(raw NV12, not an image)");
    expect_error(edgemark_detect_file(det, NULL, &report), EDGEMARK_STATUS_NULL_POINTER,
                 "detect_file(NULL path)");

    /* Per-finding statuses: a frame too small for SDXL, and a flat frame edgemark-v3 cannot
     * read. The call succeeds; the finding says why its watermark was not read. */
    unsigned char gray[128 * 128];
    memset(gray, 128, sizeof gray);
    char why[256];
    EdgemarkFrame tiny = {EDGEMARK_PIXEL_FORMAT_GRAY8, 16, 16, {{gray, 16 * 16, 0}, {0}, {0}}};
    int st = unread_status(det, &tiny, why, sizeof why);
    CHECK(st == EDGEMARK_STATUS_TOO_SMALL, "16x16 frame: finding status %s (%s)", edgemark_status_str(st), why);
    EdgemarkDetector *v3 = NULL;
    CHECK(edgemark_detector_new_presets("edgemark-v3", 1e-6, &v3) == EDGEMARK_STATUS_OK, "preset edgemark-v3");
    EdgemarkFrame flat = {EDGEMARK_PIXEL_FORMAT_GRAY8, 128, 128, {{gray, sizeof gray, 0}, {0}, {0}}};
    st = unread_status(v3, &flat, why, sizeof why);
    CHECK(st == EDGEMARK_STATUS_UNREADABLE, "flat 128x128 frame, edgemark-v3: finding status %s (%s)",
          edgemark_status_str(st), why);
    edgemark_detector_free(v3);

    /* edgemark-v3 across the boundary: the C ABI decodes the payload of a frame the Rust API
     * marked, without being told it, and reads what the Rust API reads. */
    {
        uint32_t vw = (uint32_t)atoi(argv[8]), vh = (uint32_t)atoi(argv[9]);
        size_t v3_len = 0;
        unsigned char *v3_nv12 = read_file(argv[7], &v3_len);
        size_t v3_want = (size_t)vw * vh + 2 * (size_t)((vw + 1) / 2) * ((vh + 1) / 2);
        CHECK(v3_nv12 && v3_len == v3_want, "edgemark-v3 frame %ux%u read (%zu bytes)", vw, vh, v3_len);
        EdgemarkDetector *open_set = NULL;
        CHECK(edgemark_detector_new_presets("edgemark-v3", 1e-6, &open_set) == EDGEMARK_STATUS_OK,
              "preset edgemark-v3, no message");
        EdgemarkReport *v3_report = NULL;
        EdgemarkFinding vf;
        memset(&vf, 0, sizeof vf);
        if (v3_nv12 && v3_len == v3_want && open_set) {
            EdgemarkFrame frame = nv12_frame(v3_nv12, vw, vh);
            EdgemarkStatus vst = edgemark_detect_frame(open_set, &frame, &v3_report);
            CHECK(vst == EDGEMARK_STATUS_OK && edgemark_report_count(v3_report) == 1 &&
                      edgemark_report_finding(v3_report, 0, &vf) == EDGEMARK_STATUS_OK,
                  "edgemark-v3 detect_frame: %s", edgemark_status_str(vst));
        }
        CHECK(vf.status == EDGEMARK_STATUS_OK && vf.detected && vf.has_p_value && vf.p_value <= 1e-6,
              "edgemark-v3 detected in the NV12 frame (p = %g)", vf.p_value);
        CHECK(same(vf.watermark, "edgemark-v3") && same(vf.payload_hex, argv[10]),
              "edgemark-v3 payload equals the Rust API's: %s vs %s", vf.payload_hex ? vf.payload_hex : "(none)",
              argv[10]);
        edgemark_report_free(v3_report);
        edgemark_detector_free(open_set);
        free(v3_nv12);
    }

    /* The last error: copied into a buffer (full, truncated, length only), and the in-place
     * pointer unchanged by successful calls. */
    expect_error(edgemark_detect_file(det, "/nonexistent/edgemark/photo.png", &report),
                 EDGEMARK_STATUS_IO, "detect_file(missing file), again");
    const char *in_place = edgemark_last_error();
    size_t need = edgemark_last_error_message(NULL, 0);
    char *full = malloc(need + 1);
    char small[8];
    memset(small, 'x', sizeof small);
    CHECK(full && need == strlen(in_place) && need > sizeof small &&
              edgemark_last_error_message(full, need + 1) == need && strcmp(full, in_place) == 0 &&
              strstr(full, "/nonexistent/edgemark/photo.png"),
          "last_error_message: %zu bytes, \"%s\"", need, full ? full : "");
    CHECK(edgemark_last_error_message(small, sizeof small) == need && small[7] == '\0' &&
              strncmp(small, in_place, 7) == 0,
          "last_error_message truncates to the buffer: \"%s\"", small);
    CHECK(edgemark_report_count(NULL) == 0 && edgemark_detector_new_presets("sdxl", 1e-6, &v3) == EDGEMARK_STATUS_OK &&
              edgemark_last_error() == in_place && strcmp(in_place, full) == 0,
          "successful calls leave the last error in place");
    edgemark_detector_free(v3);
    free(full);

    /* Errors, not crashes. */
    report = (EdgemarkReport *)&failures; /* must be overwritten with NULL */
    expect_error(edgemark_detect_frame(NULL, &mf, &report), EDGEMARK_STATUS_NULL_POINTER, "NULL detector");
    CHECK(report == NULL, "out set to NULL on failure");
    expect_error(edgemark_detect_frame(det, NULL, &report), EDGEMARK_STATUS_NULL_POINTER, "NULL frame");
    expect_error(edgemark_detect_frame(det, &mf, NULL), EDGEMARK_STATUS_NULL_POINTER, "NULL out");
    EdgemarkFrame bad = mf;
    bad.planes[1].data = NULL;
    expect_error(edgemark_detect_frame(det, &bad, &report), EDGEMARK_STATUS_NULL_POINTER, "NULL UV plane");
    bad = mf;
    bad.width = 0;
    expect_error(edgemark_detect_frame(det, &bad, &report), EDGEMARK_STATUS_INVALID_FRAME, "zero width");
    bad = mf;
    bad.planes[0].stride = w - 1;
    expect_error(edgemark_detect_frame(det, &bad, &report), EDGEMARK_STATUS_INVALID_FRAME, "stride < width");
    bad = mf;
    bad.planes[1].len -= 1;
    expect_error(edgemark_detect_frame(det, &bad, &report), EDGEMARK_STATUS_INVALID_FRAME, "UV plane 1 byte short");
    bad = mf;
    bad.planes[0].len = 0;
    expect_error(edgemark_detect_frame(det, &bad, &report), EDGEMARK_STATUS_INVALID_FRAME, "zero-length plane");
    bad = mf;
    bad.height = h + 1;
    expect_error(edgemark_detect_frame(det, &bad, &report), EDGEMARK_STATUS_INVALID_FRAME, "height past the buffer");
    bad = mf;
    bad.format = 99;
    expect_error(edgemark_detect_frame(det, &bad, &report), EDGEMARK_STATUS_INVALID_ARGUMENT, "unknown format");
    bad = rf;
    bad.planes[0].stride = 3 * (size_t)w - 1;
    expect_error(edgemark_detect_frame(det, &bad, &report), EDGEMARK_STATUS_INVALID_FRAME, "RGB stride < row");
    bad = mf;
    bad.width = 70000;
    bad.height = 70000;
    expect_error(edgemark_detect_frame(det, &bad, &report), EDGEMARK_STATUS_TOO_LARGE, "70000x70000");
    expect_error(edgemark_detect_encoded(det, png, 100, &report), EDGEMARK_STATUS_DECODE, "truncated PNG");
    expect_error(edgemark_detect_encoded(det, NULL, 10, &report), EDGEMARK_STATUS_NULL_POINTER, "NULL bytes");
    expect_error(edgemark_detect_encoded(det, png, 0, &report), EDGEMARK_STATUS_INVALID_ARGUMENT, "zero bytes");
    EdgemarkDetector *d2 = NULL;
    expect_error(edgemark_detector_new_presets("nosuch", 1e-6, &d2), EDGEMARK_STATUS_CONFIG, "unknown preset");
    expect_error(edgemark_detector_new_presets("sdxl", 2.0, &d2), EDGEMARK_STATUS_CONFIG, "fpr 2.0");
    CHECK(edgemark_detector_new_presets("sdxl", 1e-3, &d2) == EDGEMARK_STATUS_OK && d2, "preset sdxl at 1e-3");
    edgemark_detector_free(d2);
    CHECK(edgemark_report_count(NULL) == 0 && !edgemark_report_any_detected(NULL), "NULL report accessors");
    CHECK(strcmp(edgemark_status_str(EDGEMARK_STATUS_INVALID_FRAME), "invalid frame") == 0 &&
              strcmp(edgemark_status_str(1234), "unknown status") == 0,
          "status_str");
    /* Every error has its own code and name (MODEL is not returned by this build: no neural
     * decoders in the C library; its code is reserved). */
    const EdgemarkStatus codes[] = {EDGEMARK_STATUS_DECODE, EDGEMARK_STATUS_TOO_LARGE,
                                    EDGEMARK_STATUS_CONFIG, EDGEMARK_STATUS_OTHER,
                                    EDGEMARK_STATUS_TOO_SMALL, EDGEMARK_STATUS_UNREADABLE,
                                    EDGEMARK_STATUS_MODEL, EDGEMARK_STATUS_IO};
    int distinct = 1;
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++)
        for (size_t j = i + 1; j < sizeof codes / sizeof *codes; j++)
            if (codes[i] == codes[j] || strcmp(edgemark_status_str(codes[i]), edgemark_status_str(codes[j])) == 0)
                distinct = 0;
    CHECK(distinct && strcmp(edgemark_status_str(EDGEMARK_STATUS_TOO_SMALL), "image too small") == 0 &&
              strcmp(edgemark_status_str(EDGEMARK_STATUS_UNREADABLE), "unreadable image") == 0 &&
              strcmp(edgemark_status_str(EDGEMARK_STATUS_MODEL), "model error") == 0 &&
              strcmp(edgemark_status_str(EDGEMARK_STATUS_IO), "I/O error") == 0,
          "distinct codes and names for too small, unreadable, model, I/O");
    edgemark_report_free(NULL);
    edgemark_detector_free(NULL);
    edgemark_stream_free(NULL);
    edgemark_string_free(NULL);
    edgemark_buffer_free(NULL, 0);

    edgemark_stream_free(stream);
    edgemark_detector_free(det);
    edgemark_buffer_free(rgb, rgb_len);
    free(nv12_bits);
    free(py), free(puv), free(u), free(v), free(rgbp), free(bgr), free(rgba);
    free(marked), free(clean), free(png);
    printf("%d failure(s)\n", failures);
    return failures > 99 ? 99 : failures;
}
