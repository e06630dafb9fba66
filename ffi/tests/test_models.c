#define _POSIX_C_SOURCE 200809L
/* C tests of ONNX watermark models through the C ABI, run under valgrind by tests/run.sh
 * (natively) and under qemu-user for the ARM targets.
 *
 *   test_models MODEL_DIR CLEAN.png
 *   test_models --info      (prints edgemark_build_info's JSON)
 *
 * MODEL_DIR is models/edgemark-hidden-48 (EdgeMark's own learned 48-bit watermark: card.toml,
 * decoder.onnx, encoder.onnx, committed); CLEAN.png the committed 256x256 fixture. The
 * model is used both ways the C ABI offers: by path (the JSON configurations' "models") and
 * as bytes in memory (EdgemarkModelBytes). Every check prints a line; the exit status is the
 * number of failed checks. */
#include <edgemark.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define MESSAGE "0x5A17C0FFEE42"

static int contains(const char *haystack, const char *needle) {
    return haystack && needle && strstr(haystack, needle) != NULL;
}

static void expect(EdgemarkStatus got, EdgemarkStatus want, const char *what, const char *in_message) {
    char message[512] = "";
    if (got != EDGEMARK_STATUS_OK) edgemark_last_error_message(message, sizeof message);
    CHECK(got == want && (!in_message || contains(message, in_message)), "%s: %s (%s)", what,
          edgemark_status_str(got), message);
}

/* A call that must fail with `want`, leaving its out-pointer `out` NULL (set to a sentinel
 * first, so that a NULL left by an earlier call cannot pass the check). */
static int sentinel;
#define EXPECT_FAIL(out, call, want, what, in_message)          \
    do {                                                        \
        (out) = (void *)&sentinel;                              \
        expect((call), (want), (what), (in_message));           \
        CHECK((out) == NULL, "  and *out is NULL");             \
    } while (0)

/* Finding 0 of `det` on a packed RGB8 frame: detected (1/0, -1 on failure), its p-value, its
 * payload (copied into hex) and the number of findings. */
static int detect_rgb(const EdgemarkDetector *det, const unsigned char *rgb, unsigned w, unsigned h,
                      size_t *count, double *p, char *hex, size_t hex_len) {
    EdgemarkFrame frame = {EDGEMARK_PIXEL_FORMAT_RGB8, w, h, {{rgb, (size_t)w * h * 3, 0}, {NULL, 0, 0}, {NULL, 0, 0}}};
    EdgemarkReport *r = NULL;
    int detected = -1;
    *count = 0;
    *p = -1;
    hex[0] = 0;
    if (edgemark_detect_frame(det, &frame, &r) != EDGEMARK_STATUS_OK) return -1;
    *count = edgemark_report_count(r);
    EdgemarkFinding f;
    if (*count > 0 && edgemark_report_finding(r, 0, &f) == EDGEMARK_STATUS_OK) {
        detected = f.detected;
        *p = f.p_value;
        if (f.payload_hex) snprintf(hex, hex_len, "%s", f.payload_hex);
    }
    edgemark_report_free(r);
    return detected;
}

static char *read_text(const char *path) {
    size_t len = 0;
    unsigned char *b = read_file(path, &len);
    if (!b) return NULL;
    char *s = realloc(b, len + 1);
    if (!s) {
        free(b);
        return NULL;
    }
    s[len] = 0;
    return s;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0); /* each check's line as it happens (slow under valgrind) */
    if (argc == 2 && strcmp(argv[1], "--info") == 0) {
        /* Only print edgemark_build_info (tests/run.sh checks the kernels of cross builds). */
        char *info = NULL;
        if (edgemark_build_info(&info) != EDGEMARK_STATUS_OK) return 1;
        printf("%s\n", info);
        edgemark_string_free(info);
        return 0;
    }
    if (argc != 3) {
        fprintf(stderr, "usage: %s MODEL_DIR CLEAN.png | --info\n", argv[0]);
        return 100;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/card.toml", argv[1]);
    char *card = read_text(path);
    size_t dec_len = 0, enc_len = 0, clean_len = 0;
    snprintf(path, sizeof path, "%s/decoder.onnx", argv[1]);
    unsigned char *dec = read_file(path, &dec_len);
    snprintf(path, sizeof path, "%s/encoder.onnx", argv[1]);
    unsigned char *enc = read_file(path, &enc_len);
    unsigned char *clean = read_file(argv[2], &clean_len);
    if (!card || !dec || !enc || !clean) {
        fprintf(stderr, "cannot read the model files in %s or %s\n", argv[1], argv[2]);
        return 100;
    }
    /* What the library was built for and which kernels tract runs the models with. */
    char *info = NULL;
    EdgemarkStatus s = edgemark_build_info(&info);
    CHECK(s == EDGEMARK_STATUS_OK && contains(info, "\"onnx\":true") && contains(info, "\"isa\":"),
          "build_info: %s", info ? info : "(none)");
    edgemark_string_free(info);
    CHECK(edgemark_build_info(NULL) == EDGEMARK_STATUS_NULL_POINTER, "build_info(NULL) is a NULL_POINTER error");

    char config[8192];
    size_t count = 0;
    double p = 0;
    char hex[64];

    /* The cover as packed RGB8. */
    unsigned char *cover = NULL;
    size_t cover_len = 0;
    uint32_t w = 0, h = 0;
    s = edgemark_decode_rgb(clean, clean_len, &cover, &cover_len, &w, &h);
    CHECK(s == EDGEMARK_STATUS_OK && w == 256 && h == 256, "decode the cover (%ux%u)", w, h);
    if (s != EDGEMARK_STATUS_OK || w != 256 || h != 256) return 100; /* the crop below needs it */

    /* 1. By path: a watermark and a detector that name the model card in "models". */
    EdgemarkWatermark *wm = NULL;
    snprintf(config, sizeof config,
             "{\"scheme\": \"edgemark-hidden-48\", \"message\": \"" MESSAGE "\", \"models\": [\"%s/card.toml\"]}",
             argv[1]);
    s = edgemark_watermark_new_json(config, &wm);
    expect(s, EDGEMARK_STATUS_OK, "watermark_new_json with a model card by path", NULL);
    /* The frame: the cover's centre 128x128, read in place through the stride (a model's
     * decoder on a small frame keeps the run under valgrind short). */
    const uint32_t side = 128;
    const size_t stride = (size_t)w * 3, at = (size_t)(h - side) / 2 * stride + (size_t)(w - side) / 2 * 3;
    EdgemarkFrame frame = {EDGEMARK_PIXEL_FORMAT_RGB8, side, side,
                           {{cover + at, cover_len - at, stride}, {NULL, 0, 0}, {NULL, 0, 0}}};
    unsigned char *marked = NULL;
    size_t marked_len = 0;
    uint32_t mw = 0, mh = 0;
    double psnr = 0;
    s = edgemark_embed_frame(wm, &frame, &marked, &marked_len, &mw, &mh, &psnr);
    CHECK(s == EDGEMARK_STATUS_OK && mw == side && mh == side && marked_len == (size_t)side * side * 3 && psnr > 35.0,
          "embed the model's mark into an RGB frame (PSNR %.2f dB)", psnr);
    edgemark_watermark_free(wm);

    EdgemarkDetector *det = NULL;
    snprintf(config, sizeof config,
             "{\"models\": [\"%s/card.toml\"], \"watermarks\": [{\"scheme\": \"edgemark-hidden-48\", "
             "\"message\": \"" MESSAGE "\"}], \"fpr\": 1e-6}",
             argv[1]);
    s = edgemark_detector_new_json(config, &det);
    expect(s, EDGEMARK_STATUS_OK, "detector_new_json with a model card by path", NULL);
    int d = marked ? detect_rgb(det, marked, mw, mh, &count, &p, hex, sizeof hex) : -1;
    CHECK(d == 1 && count == 1 && p < 1e-6 && strcmp(hex, MESSAGE) == 0,
          "the path detector finds the model's mark (p %.3g, payload %s)", p, hex);
    edgemark_detector_free(det);

    /* 2. As bytes: the same model from memory, for embedding and for detection. */
    EdgemarkModelBytes model = {card, dec, dec_len, enc, enc_len, MESSAGE, "mine"};
    s = edgemark_watermark_new_model(&model, &wm);
    expect(s, EDGEMARK_STATUS_OK, "watermark_new_model from bytes", NULL);
    unsigned char *marked2 = NULL;
    size_t marked2_len = 0;
    s = edgemark_embed_frame(wm, &frame, &marked2, &marked2_len, &mw, &mh, NULL);
    CHECK(s == EDGEMARK_STATUS_OK && marked && marked2_len == marked_len && memcmp(marked, marked2, marked_len) == 0,
          "the bytes watermark writes exactly the pixels the path watermark writes");
    edgemark_buffer_free(marked2, marked2_len);
    unsigned char *png = NULL;
    size_t png_len = 0;
    s = edgemark_embed_encoded(wm, clean, clean_len, &png, &png_len, &psnr);
    CHECK(s == EDGEMARK_STATUS_OK && png_len > 8 && memcmp(png, "\x89PNG", 4) == 0 && psnr > 35.0,
          "embed_encoded with the bytes watermark gives a PNG (%zu bytes, %.2f dB)", png_len, psnr);
    edgemark_watermark_free(wm);

    /* Detection needs no encoder: the decoder alone. No presets named: the model only. */
    EdgemarkModelBytes decoder_only = {card, dec, dec_len, NULL, 0, MESSAGE, "mine"};
    s = edgemark_detector_new_models("{\"fpr\": 1e-6}", &decoder_only, 1, &det);
    expect(s, EDGEMARK_STATUS_OK, "detector_new_models with the decoder only", NULL);
    EdgemarkReport *r = NULL;
    char *json = NULL;
    /* The PNG's centre 128x128, in place through the stride (as the cover's). */
    unsigned char *png_rgb = NULL;
    size_t png_rgb_len = 0;
    uint32_t pw = 0, ph = 0;
    s = edgemark_decode_rgb(png, png_len, &png_rgb, &png_rgb_len, &pw, &ph);
    EdgemarkFrame png_frame = {EDGEMARK_PIXEL_FORMAT_RGB8, side, side,
                               {{png_rgb + at, png_rgb_len - at, stride}, {NULL, 0, 0}, {NULL, 0, 0}}};
    if (s == EDGEMARK_STATUS_OK && pw == w && ph == h) s = edgemark_detect_frame(det, &png_frame, &r);
    CHECK(s == EDGEMARK_STATUS_OK && pw == w && edgemark_report_count(r) == 1 && edgemark_report_json(r, &json) == EDGEMARK_STATUS_OK &&
              contains(json, "\"watermark\":\"mine\"") && contains(json, "\"detected\":true"),
          "the bytes detector finds the mark in (a crop of) the embedded PNG, under its own name");
    edgemark_string_free(json);
    edgemark_report_free(r);
    unsigned char *crop = malloc((size_t)side * side * 3);
    for (uint32_t y = 0; crop && y < side; y++) memcpy(crop + (size_t)y * side * 3, cover + at + y * stride, (size_t)side * 3);
    d = crop ? detect_rgb(det, crop, side, side, &count, &p, hex, sizeof hex) : -1;
    CHECK(d == 0 && count == 1, "and not in the clean cover (p %.3g)", p);
    edgemark_detector_free(det);

    /* Presets and models together (the presets first, the models last) in a stream of the
     * marked frame: the window's decision. A false-alarm rate of 1e-6 per stream of up to
     * 1000 frames: 1e-9 per decision. */
    s = edgemark_detector_new_models("{\"presets\": [\"sdxl\", \"flux\"]}", &decoder_only, 1, &det);
    EdgemarkStream *stream = NULL;
    if (s == EDGEMARK_STATUS_OK) s = edgemark_stream_new_for(det, 4, 1e-6, 1000, &stream);
    int found = 0;
    size_t frames = 0;
    char name[64] = "";
    count = 0;
    EdgemarkFrame mframe = {EDGEMARK_PIXEL_FORMAT_RGB8, mw, mh, {{marked, marked_len, 0}, {NULL, 0, 0}, {NULL, 0, 0}}};
    for (int i = 0; s == EDGEMARK_STATUS_OK && i < 2; i++) {
        s = edgemark_stream_push(stream, &mframe, &r);
        if (s != EDGEMARK_STATUS_OK) break;
        EdgemarkFinding f;
        frames = edgemark_report_frames(r);
        count = edgemark_report_count(r);
        found = edgemark_report_finding(r, 2, &f) == EDGEMARK_STATUS_OK && f.detected;
        if (found) snprintf(name, sizeof name, "%s", f.watermark);
        edgemark_report_free(r);
    }
    CHECK(s == EDGEMARK_STATUS_OK && count == 3 && strcmp(name, "mine") == 0,
          "presets + a model: %zu findings, the model's last (%s)", count, name);
    CHECK(s == EDGEMARK_STATUS_OK && found && frames == 2, "a stream with the model decides over %zu frames", frames);
    edgemark_stream_free(stream);
    EXPECT_FAIL(stream, edgemark_stream_new_for(det, 4, 1.5, 1000, &stream), EDGEMARK_STATUS_INVALID_ARGUMENT, "stream_new_for: a rate of 1.5", "1.5");
    EXPECT_FAIL(stream, edgemark_stream_new_for(det, 4, 1e-6, 0, &stream), EDGEMARK_STATUS_INVALID_ARGUMENT, "stream_new_for: max_frames 0", "max_frames");
    EXPECT_FAIL(stream, edgemark_stream_new_for(det, 0, 1e-6, 10, &stream), EDGEMARK_STATUS_INVALID_ARGUMENT, "stream_new_for: window 0", "window");
    EXPECT_FAIL(stream, edgemark_stream_new_for(NULL, 4, 1e-6, 10, &stream), EDGEMARK_STATUS_NULL_POINTER, "stream_new_for: a NULL detector", "detector");
    edgemark_detector_free(det);

    /* Errors: each names what is wrong, leaves *out NULL. */
    unsigned char junk[64];
    memset(junk, 7, sizeof junk);
    EdgemarkModelBytes bad = decoder_only;
    bad.decoder = junk;
    bad.decoder_len = sizeof junk;
    EXPECT_FAIL(det, edgemark_detector_new_models("{}", &bad, 1, &det), EDGEMARK_STATUS_MODEL, "a corrupt decoder is a MODEL error", "decoder");
    bad = decoder_only;
    char *card32 = strdup(card);
    char *bits = card32 ? strstr(card32, "bits = 48") : NULL;
    if (bits) memcpy(bits, "bits = 32", 9);
    bad.card = card32;
    bad.message = "0xDEADBEEF";
    EXPECT_FAIL(det, edgemark_detector_new_models("{}", &bad, 1, &det), EDGEMARK_STATUS_MODEL, "a card that does not match its decoder is a MODEL error", "48");
    free(card32);
    bad = decoder_only;
    bad.card = "name = 1";
    EXPECT_FAIL(det, edgemark_detector_new_models("{}", &bad, 1, &det), EDGEMARK_STATUS_MODEL, "a malformed card is a MODEL error", "invalid model card");
    bad = decoder_only;
    bad.message = "0xAB";
    EXPECT_FAIL(det, edgemark_detector_new_models("{}", &bad, 1, &det), EDGEMARK_STATUS_CONFIG, "a message of the wrong length is a CONFIG error", "48");
    bad = decoder_only;
    bad.card = "\xff\xfe";
    EXPECT_FAIL(det, edgemark_detector_new_models("{}", &bad, 1, &det), EDGEMARK_STATUS_INVALID_ARGUMENT, "a card that is not UTF-8", "models[0].card");
    bad = decoder_only;
    bad.decoder_len = 0;
    EXPECT_FAIL(det, edgemark_detector_new_models("{}", &bad, 1, &det), EDGEMARK_STATUS_INVALID_ARGUMENT, "an empty decoder", "models[0].decoder");
    bad = model;
    bad.encoder = NULL;
    bad.encoder_len = 5;
    EXPECT_FAIL(wm, edgemark_watermark_new_model(&bad, &wm), EDGEMARK_STATUS_NULL_POINTER,
                "an encoder length with a NULL encoder", "model.encoder");
    char *no_encoder = strdup(card), *section = no_encoder ? strstr(no_encoder, "[encoder]") : NULL;
    if (section) *section = 0;
    bad = model;
    bad.card = no_encoder;
    EXPECT_FAIL(wm, edgemark_watermark_new_model(&bad, &wm), EDGEMARK_STATUS_MODEL,
                "encoder bytes for a card without an [encoder] section", "[encoder]");
    free(no_encoder);
    /* Detection never reads the encoder: a corrupt one does not stop it. */
    bad = decoder_only;
    bad.encoder = junk;
    bad.encoder_len = sizeof junk;
    s = edgemark_detector_new_models("{}", &bad, 1, &det);
    expect(s, EDGEMARK_STATUS_OK, "detection with a corrupt encoder given", NULL);
    edgemark_detector_free(det);
    bad = decoder_only;
    bad.card = NULL;
    EXPECT_FAIL(det, edgemark_detector_new_models("{}", &bad, 1, &det), EDGEMARK_STATUS_NULL_POINTER, "a NULL card", "models[0].card");
    EXPECT_FAIL(det, edgemark_detector_new_models("{}", NULL, 1, &det), EDGEMARK_STATUS_NULL_POINTER, "NULL models with a count", "models");
    EXPECT_FAIL(det, edgemark_detector_new_models("{}", &decoder_only, SIZE_MAX, &det), EDGEMARK_STATUS_INVALID_ARGUMENT, "an absurd model count", "models");
    EXPECT_FAIL(det, edgemark_detector_new_models("{\"presets\": []}", NULL, 0, &det), EDGEMARK_STATUS_CONFIG, "nothing to look for", "no watermark");
    EXPECT_FAIL(det, edgemark_detector_new_models("{\"modles\": []}", &decoder_only, 1, &det), EDGEMARK_STATUS_INVALID_ARGUMENT, "an unknown configuration field", "modles");
    EXPECT_FAIL(det, edgemark_detector_new_models(NULL, &decoder_only, 1, &det), EDGEMARK_STATUS_NULL_POINTER, "a NULL configuration", "config");
    s = edgemark_detector_new_models("{}", &decoder_only, 1, NULL);
    expect(s, EDGEMARK_STATUS_NULL_POINTER, "a NULL out-pointer", "out");

    EXPECT_FAIL(wm, edgemark_watermark_new_model(&decoder_only, &wm), EDGEMARK_STATUS_NULL_POINTER, "embedding needs the encoder", "model.encoder");
    bad = model;
    bad.message = NULL;
    EXPECT_FAIL(wm, edgemark_watermark_new_model(&bad, &wm), EDGEMARK_STATUS_NULL_POINTER, "embedding needs a message", "model.message");
    bad = model;
    bad.encoder = junk;
    bad.encoder_len = sizeof junk;
    EXPECT_FAIL(wm, edgemark_watermark_new_model(&bad, &wm), EDGEMARK_STATUS_MODEL, "a corrupt encoder is a MODEL error", "encoder");
    EXPECT_FAIL(wm, edgemark_watermark_new_model(NULL, &wm), EDGEMARK_STATUS_NULL_POINTER, "a NULL model", "model");
    snprintf(config, sizeof config, "{\"scheme\": \"edgemark-hidden-48\", \"message\": \"" MESSAGE "\", \"models\": [\"%s/no-such-card.toml\"]}", argv[1]);
    EXPECT_FAIL(wm, edgemark_watermark_new_json(config, &wm), EDGEMARK_STATUS_MODEL, "a missing card path is a MODEL error", "no-such-card.toml");

    edgemark_buffer_free(png, png_len);
    edgemark_buffer_free(png_rgb, png_rgb_len);
    edgemark_buffer_free(marked, marked_len);
    edgemark_buffer_free(cover, cover_len);
    free(crop);
    free(card);
    free(dec);
    free(enc);
    free(clean);
    printf("%d failure(s)\n", failures);
    return failures;
}
