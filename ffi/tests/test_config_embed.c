#define _POSIX_C_SOURCE 200809L
/* C tests of the JSON configuration and embedding, run under valgrind by tests/run.sh.
 *
 *   test_config_embed CLEAN.png SDXL_MARKED.png PHOTO
 *
 * CLEAN.png and SDXL_MARKED.png are the committed fixtures (SDXL's mark written by the real
 * invisible-watermark); PHOTO is a photograph large enough for edgemark-v3 (scripts/setup.sh
 * fetches it). Every check prints a line; the exit status is the number of failed checks. */
#include <edgemark.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static int contains(const char *haystack, const char *needle) {
    return haystack && needle && strstr(haystack, needle) != NULL;
}

/* Finding `i` of a report of `det` on `data`: detected flag and the payload hex (copied, or
 * NULL); the number of findings in *count. Returns the status of the detection. */
static EdgemarkStatus finding_of(const EdgemarkDetector *det, const unsigned char *data, size_t len,
                                 size_t i, size_t *count, int *detected, char *hex, size_t hex_len) {
    EdgemarkReport *r = NULL;
    EdgemarkStatus s = edgemark_detect_encoded(det, data, len, &r);
    *count = 0;
    *detected = -1;
    if (hex_len) hex[0] = 0;
    if (s != EDGEMARK_STATUS_OK) return s;
    *count = edgemark_report_count(r);
    EdgemarkFinding f;
    if (i < *count && edgemark_report_finding(r, i, &f) == EDGEMARK_STATUS_OK) {
        *detected = f.detected;
        if (hex_len && f.payload_hex) snprintf(hex, hex_len, "%s", f.payload_hex);
    }
    edgemark_report_free(r);
    return s;
}

static void expect(EdgemarkStatus got, EdgemarkStatus want, const char *what, const char *in_message) {
    char message[512];
    edgemark_last_error_message(message, sizeof message);
    CHECK(got == want && (!in_message || contains(message, in_message)), "%s: %s (%s)", what,
          edgemark_status_str(got), message);
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s CLEAN.png SDXL_MARKED.png PHOTO\n", argv[0]);
        return 100;
    }
    size_t clean_len = 0, sdxl_len = 0, photo_len = 0;
    unsigned char *clean = read_file(argv[1], &clean_len);
    unsigned char *sdxl = read_file(argv[2], &sdxl_len);
    unsigned char *photo = read_file(argv[3], &photo_len);
    if (!clean || !sdxl || !photo) {
        fprintf(stderr, "cannot read the fixtures\n");
        return 100;
    }
    size_t count = 0;
    int detected = 0;
    char hex[64];

    /* A detector from JSON: a preset and a classical scheme with a bit length only. */
    EdgemarkDetector *det = NULL;
    EdgemarkStatus s = edgemark_detector_new_json(
        "{\"presets\": [\"sdxl\"], \"watermarks\": [{\"scheme\": \"dwtDct\", \"bits\": 48, \"name\": \"raw48\"}],"
        " \"fpr\": 1e-6}",
        &det);
    CHECK(s == EDGEMARK_STATUS_OK && det, "detector_new_json: preset + scheme");
    finding_of(det, sdxl, sdxl_len, 0, &count, &detected, hex, sizeof hex);
    CHECK(count == 2 && detected == 1, "the JSON detector finds SDXL's mark (%zu findings)", count);
    EdgemarkReport *r = NULL;
    char *json = NULL;
    s = edgemark_detect_encoded(det, sdxl, sdxl_len, &r);
    CHECK(s == EDGEMARK_STATUS_OK && edgemark_report_json(r, &json) == EDGEMARK_STATUS_OK &&
              contains(json, "\"watermark\":\"raw48\""),
          "the second finding is reported under its own name, and as JSON");
    edgemark_string_free(json);
    edgemark_report_free(r);
    finding_of(det, clean, clean_len, 0, &count, &detected, hex, sizeof hex);
    CHECK(count == 2 && detected == 0, "the clean fixture is not flagged");
    edgemark_detector_free(det);

    /* {} is the default detector (every generator preset). */
    det = NULL;
    CHECK(edgemark_detector_new_json("{}", &det) == EDGEMARK_STATUS_OK && det, "detector_new_json: {}");
    finding_of(det, sdxl, sdxl_len, 0, &count, &detected, hex, sizeof hex);
    CHECK(count == 6 && detected == 1, "{} looks for the six generator presets (%zu)", count);
    edgemark_detector_free(det);

    /* A small max_pixels refuses the fixture before decoding it. */
    det = NULL;
    CHECK(edgemark_detector_new_json("{\"max_pixels\": 1000}", &det) == EDGEMARK_STATUS_OK, "max_pixels");
    expect(finding_of(det, sdxl, sdxl_len, 0, &count, &detected, hex, sizeof hex), EDGEMARK_STATUS_TOO_LARGE,
           "an image over max_pixels", NULL);
    edgemark_detector_free(det);

    /* Configuration errors: status and message, *out left NULL. */
    det = (EdgemarkDetector *)1;
    expect(edgemark_detector_new_json("{\"presets\": [\"sdxl\"", &det), EDGEMARK_STATUS_INVALID_ARGUMENT,
           "truncated JSON", "detector configuration");
    CHECK(det == NULL, "out is NULL after a failure");
    expect(edgemark_detector_new_json("{\"preset\": [\"sdxl\"]}", &det), EDGEMARK_STATUS_INVALID_ARGUMENT,
           "unknown field", "unknown field `preset`");
    expect(edgemark_detector_new_json("{\"presets\": [\"nope\"]}", &det), EDGEMARK_STATUS_CONFIG,
           "unknown preset", "nope");
    expect(edgemark_detector_new_json("{\"watermarks\": [{\"scheme\": \"dwtDct\", \"message\": \"0xZZ\"}]}", &det),
           EDGEMARK_STATUS_CONFIG, "malformed message", NULL);
    expect(edgemark_detector_new_json("{\"fpr\": 0}", &det), EDGEMARK_STATUS_CONFIG, "fpr 0", "false-positive");
    /* Models: with the onnx feature (the default) a missing card is a MODEL error naming it;
     * a library built without it refuses any models with CONFIG, saying why. */
    char *info = NULL;
    int onnx = edgemark_build_info(&info) == EDGEMARK_STATUS_OK && contains(info, "\"onnx\":true");
    edgemark_string_free(info);
    if (onnx)
        expect(edgemark_detector_new_json("{\"models\": [\"no/such/model\"]}", &det), EDGEMARK_STATUS_MODEL,
               "a missing model folder (onnx build)", "no/such/model");
    else
        expect(edgemark_detector_new_json("{\"models\": [\"models/edgemark-hidden-48\"]}", &det),
               EDGEMARK_STATUS_CONFIG, "models without the onnx feature", "onnx");
    expect(edgemark_detector_new_json(NULL, &det), EDGEMARK_STATUS_NULL_POINTER, "NULL config", NULL);
    expect(edgemark_detector_new_json("{}", NULL), EDGEMARK_STATUS_NULL_POINTER, "NULL out", NULL);

    /* Embedding edgemark-v3 into an encoded photo; the open-set detector reads the payload. */
    EdgemarkWatermark *wm = NULL;
    s = edgemark_watermark_new_json("{\"scheme\": \"edgemark-v3\", \"message\": \"0x00C0FFEE\"}", &wm);
    CHECK(s == EDGEMARK_STATUS_OK && wm, "watermark_new_json: edgemark-v3");
    unsigned char *png = NULL;
    size_t png_len = 0;
    double psnr = 0;
    s = edgemark_embed_encoded(wm, photo, photo_len, &png, &png_len, &psnr);
    CHECK(s == EDGEMARK_STATUS_OK && png && png_len > 8 && memcmp(png, "\x89PNG", 4) == 0 && psnr > 38,
          "embed_encoded: a PNG at %.2f dB", psnr);
    det = NULL;
    CHECK(edgemark_detector_new_json("{\"watermarks\": [\"edgemark-v3\"]}", &det) == EDGEMARK_STATUS_OK,
          "an edgemark-v3 detector");
    finding_of(det, png, png_len, 0, &count, &detected, hex, sizeof hex);
    CHECK(detected == 1 && strcmp(hex, "0x00C0FFEE") == 0, "edgemark-v3 read from the embedded PNG: %s", hex);
    finding_of(det, photo, photo_len, 0, &count, &detected, hex, sizeof hex);
    CHECK(detected == 0, "not in the photo before embedding");
    edgemark_buffer_free(png, png_len);

    /* Embedding into a raw frame: the clean fixture's pixels as an RGB8 frame with a padded
     * stride; the PSNR comes back through a non-NULL pointer. */
    unsigned char *rgb = NULL;
    size_t rgb_len = 0;
    uint32_t w = 0, h = 0;
    CHECK(edgemark_decode_rgb(clean, clean_len, &rgb, &rgb_len, &w, &h) == EDGEMARK_STATUS_OK, "decode_rgb");
    size_t stride = (size_t)w * 3 + 16;
    unsigned char *padded = calloc((size_t)h, stride);
    for (uint32_t y = 0; padded && y < h; y++) memcpy(padded + y * stride, rgb + (size_t)y * w * 3, (size_t)w * 3);
    edgemark_buffer_free(rgb, rgb_len);
    EdgemarkWatermark *dwt = NULL;
    CHECK(edgemark_watermark_new_json("{\"scheme\": \"dwtDct\", \"message\": \"text:EdgeMark\"}", &dwt) ==
              EDGEMARK_STATUS_OK,
          "watermark_new_json: dwtDct with a message");
    EdgemarkFrame frame = {0};
    frame.format = EDGEMARK_PIXEL_FORMAT_RGB8;
    frame.width = w;
    frame.height = h;
    frame.planes[0].data = padded;
    frame.planes[0].len = (size_t)h * stride;
    frame.planes[0].stride = stride;
    unsigned char *marked = NULL;
    size_t marked_len = 0;
    uint32_t mw = 0, mh = 0;
    psnr = 0;
    s = edgemark_embed_frame(dwt, &frame, &marked, &marked_len, &mw, &mh, &psnr);
    CHECK(s == EDGEMARK_STATUS_OK && mw == w && mh == h && marked_len == (size_t)w * h * 3 && psnr > 30,
          "embed_frame: packed RGB8 %ux%u at %.2f dB", mw, mh, psnr);
    EdgemarkDetector *mine = NULL;
    CHECK(edgemark_detector_new_json("{\"watermarks\": [{\"scheme\": \"dwtDct\", \"message\": \"text:EdgeMark\"}]}",
                                     &mine) == EDGEMARK_STATUS_OK,
          "a detector for that message");
    EdgemarkFrame out = {0};
    out.format = EDGEMARK_PIXEL_FORMAT_RGB8;
    out.width = mw;
    out.height = mh;
    out.planes[0].data = marked;
    out.planes[0].len = marked_len;
    out.planes[0].stride = (size_t)mw * 3;
    r = NULL;
    EdgemarkFinding f;
    s = edgemark_detect_frame(mine, &out, &r);
    CHECK(s == EDGEMARK_STATUS_OK && edgemark_report_finding(r, 0, &f) == EDGEMARK_STATUS_OK && f.detected &&
              contains(f.payload_text, "EdgeMark"),
          "the message is read back from the embedded frame");
    edgemark_report_free(r);
    r = NULL;
    s = edgemark_detect_frame(mine, &frame, &r);
    CHECK(s == EDGEMARK_STATUS_OK && edgemark_report_finding(r, 0, &f) == EDGEMARK_STATUS_OK && !f.detected,
          "and not from the frame before embedding");
    edgemark_report_free(r);
    edgemark_buffer_free(marked, marked_len);

    /* Embedding errors. */
    EdgemarkWatermark *bad = (EdgemarkWatermark *)1;
    expect(edgemark_watermark_new_json("{\"scheme\": \"dwtDct\"}", &bad), EDGEMARK_STATUS_CONFIG,
           "a scheme without a message", "message");
    CHECK(bad == NULL, "out is NULL after a failure");
    expect(edgemark_watermark_new_json("{\"scheme\": \"sdxl\", \"message\": \"0xAB\"}", &bad), EDGEMARK_STATUS_CONFIG,
           "a preset with another message", NULL);
    expect(edgemark_watermark_new_json("{\"scheme\": \"sdxl\", \"size\": 3}", &bad), EDGEMARK_STATUS_INVALID_ARGUMENT,
           "unknown field", "size");
    expect(edgemark_watermark_new_json(NULL, &bad), EDGEMARK_STATUS_NULL_POINTER, "NULL config", NULL);
    expect(edgemark_embed_frame(NULL, &frame, &marked, &marked_len, &mw, &mh, NULL), EDGEMARK_STATUS_NULL_POINTER,
           "embed_frame: NULL watermark", "watermark");
    expect(edgemark_embed_frame(dwt, NULL, &marked, &marked_len, &mw, &mh, NULL), EDGEMARK_STATUS_NULL_POINTER,
           "embed_frame: NULL frame", "frame");
    expect(edgemark_embed_frame(dwt, &frame, NULL, &marked_len, &mw, &mh, NULL), EDGEMARK_STATUS_NULL_POINTER,
           "embed_frame: NULL rgb", "rgb");
    expect(edgemark_embed_frame(dwt, &frame, &marked, NULL, &mw, &mh, NULL), EDGEMARK_STATUS_NULL_POINTER,
           "embed_frame: NULL rgb_len", "rgb_len");
    expect(edgemark_embed_frame(dwt, &frame, &marked, &marked_len, NULL, &mh, NULL), EDGEMARK_STATUS_NULL_POINTER,
           "embed_frame: NULL width", "width");
    expect(edgemark_embed_frame(dwt, &frame, &marked, &marked_len, &mw, NULL, NULL), EDGEMARK_STATUS_NULL_POINTER,
           "embed_frame: NULL height", "height");
    expect(edgemark_embed_encoded(dwt, photo, photo_len, NULL, &png_len, NULL), EDGEMARK_STATUS_NULL_POINTER,
           "embed_encoded: NULL png", "png");
    expect(edgemark_embed_encoded(dwt, photo, photo_len, &png, NULL, NULL), EDGEMARK_STATUS_NULL_POINTER,
           "embed_encoded: NULL png_len", "png_len");
    frame.planes[0].len = 10;
    expect(edgemark_embed_frame(dwt, &frame, &marked, &marked_len, &mw, &mh, NULL), EDGEMARK_STATUS_INVALID_FRAME,
           "embed_frame: a plane shorter than the frame", NULL);
    png = (unsigned char *)1;
    expect(edgemark_embed_encoded(dwt, (const unsigned char *)"not an image", 12, &png, &png_len, NULL),
           EDGEMARK_STATUS_DECODE, "embed_encoded: not an image", NULL);
    CHECK(png == NULL, "png is NULL after a failure");
    expect(edgemark_embed_encoded(dwt, photo, 0, &png, &png_len, NULL), EDGEMARK_STATUS_INVALID_ARGUMENT,
           "embed_encoded: zero length", NULL);
    unsigned char tiny[3 * 16 * 16] = {0};
    EdgemarkFrame small = {0};
    small.format = EDGEMARK_PIXEL_FORMAT_RGB8;
    small.width = 16;
    small.height = 16;
    small.planes[0].data = tiny;
    small.planes[0].len = sizeof tiny;
    small.planes[0].stride = 48;
    marked = (unsigned char *)1;
    s = edgemark_embed_frame(wm, &small, &marked, &marked_len, &mw, &mh, NULL);
    CHECK(s != EDGEMARK_STATUS_OK && s != EDGEMARK_STATUS_PANIC && marked == NULL,
          "embed_frame: a 16x16 frame is refused (%s)", edgemark_status_str(s));
    edgemark_watermark_free(NULL);
    edgemark_watermark_free(wm);
    edgemark_watermark_free(dwt);
    edgemark_detector_free(det);
    edgemark_detector_free(mine);
    free(padded);
    free(clean);
    free(sdxl);
    free(photo);
    printf("%d failure(s)\n", failures);
    return failures > 100 ? 100 : failures;
}
