/* The screen overlay through the C ABI: the tile a native client renders is byte-identical to
 * the CLI's (`edgemark overlay --out tile.rgba`), strides and errors are handled, and a page
 * with the overlay composited over it traces back to the ID, with and without a list of
 * issued IDs, while the page without it names nobody.
 *
 *   test_overlay CLI_TILE.rgba ID STRENGTH   (the CLI's 128x128 tile for that ID and strength)
 */
#include "check.h"
#include <edgemark.h>
#include <stdint.h>
#include <string.h>

static int contains(const char *s, const char *what) { return s && strstr(s, what) != NULL; }

/* Source-over of straight RGBA onto opaque RGB, as browsers composite 8-bit layers. */
static void composite(uint8_t *rgb, const uint8_t *rgba, size_t pixels) {
    for (size_t i = 0; i < pixels; i++) {
        unsigned a = rgba[i * 4 + 3];
        for (int c = 0; c < 3; c++)
            rgb[i * 3 + c] = (uint8_t)((rgba[i * 4 + c] * a + rgb[i * 3 + c] * (255 - a) + 127) / 255);
    }
}

/* A light page with dark strokes on text lines: something to trace over. */
static void page(uint8_t *rgb, uint32_t w, uint32_t h) {
    uint32_t s = 12345;
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t x = 0; x < w; x++) {
            s = s * 1103515245u + 12345u;
            int ink = (y % 20) >= 6 && (y % 20) < 15 && (x % 9) < 2 && ((s >> 16) & 1);
            uint8_t v = ink ? 40 : 248;
            rgb[(y * w + x) * 3] = rgb[(y * w + x) * 3 + 1] = rgb[(y * w + x) * 3 + 2] = v;
        }
}

static char *trace_rgb(const uint8_t *rgb, uint32_t w, uint32_t h, const char *ids, EdgemarkStatus *st) {
    EdgemarkFrame f = {EDGEMARK_PIXEL_FORMAT_RGB8, w, h, {{rgb, (size_t)w * h * 3, 0}, {0}, {0}}};
    char *json = NULL;
    *st = edgemark_trace_frame(&f, ids, 0.0, &json);
    return json;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: test_overlay CLI_TILE.rgba ID STRENGTH\n");
        return 2;
    }
    uint32_t id = (uint32_t)strtoul(argv[2], NULL, 0);
    float strength = strtof(argv[3], NULL);
    size_t cli_len = 0;
    unsigned char *cli = read_file(argv[1], &cli_len);
    const size_t T = EDGEMARK_OVERLAY_TILE;
    CHECK(cli && cli_len == T * T * 4, "read the CLI's tile (%zu bytes)", cli_len);
    if (!cli) return 1;

    uint8_t *tile = malloc(T * T * 4);
    CHECK(edgemark_overlay_render(id, strength, tile, T, T, 0) == EDGEMARK_STATUS_OK, "render the tile");
    CHECK(memcmp(tile, cli, T * T * 4) == 0, "the tile is byte-identical to `edgemark overlay`'s");
    int opaque = 0, bw = 1;
    for (size_t i = 0; i < T * T; i++) {
        opaque += tile[i * 4 + 3] > 0;
        bw &= (tile[i * 4] == 0 || tile[i * 4] == 255) && tile[i * 4] == tile[i * 4 + 1] && tile[i * 4] == tile[i * 4 + 2];
    }
    CHECK(opaque > (int)(T * T / 2) && bw, "a grey-free pattern of black and white (%d of %zu pixels drawn)", opaque, T * T);
    uint8_t *other = malloc(T * T * 4);
    CHECK(edgemark_overlay_render(id ^ 1, strength, other, T, T, 0) == EDGEMARK_STATUS_OK &&
              memcmp(tile, other, T * T * 4) != 0,
          "another ID gives another tile");
    free(other);

    /* A padded buffer: 300x200 with 1300-byte rows; the padding is left alone. */
    uint32_t w = 300, h = 200;
    size_t stride = 1300;
    uint8_t *buf = malloc(stride * h);
    memset(buf, 0xAB, stride * h);
    CHECK(edgemark_overlay_render(id, strength, buf, w, h, stride) == EDGEMARK_STATUS_OK, "render 300x200, stride 1300");
    int same = 1, pad = 1;
    for (uint32_t y = 0; y < h; y++) {
        for (uint32_t x = 0; x < w; x++)
            same &= memcmp(buf + y * stride + x * 4, tile + ((y % T) * T + x % T) * 4, 4) == 0;
        for (size_t b = w * 4; b < stride; b++) pad &= buf[y * stride + b] == 0xAB;
    }
    CHECK(same, "the tile repeats from the top-left corner");
    CHECK(pad, "row padding untouched");
    /* A sub-rectangle of a larger image: the last row needs no padding after it. */
    uint8_t *sub = malloc(stride * (h - 1) + w * 4);
    CHECK(edgemark_overlay_render(id, strength, sub, w, h, stride) == EDGEMARK_STATUS_OK &&
              memcmp(sub + stride * (h - 1), buf + stride * (h - 1), w * 4) == 0,
          "a buffer ending with the last row (stride * (height - 1) + width * 4 bytes)");
    free(sub);

    /* Errors leave the buffer as it was. */
    memset(buf, 0xCD, stride * h);
    CHECK(edgemark_overlay_render(id, strength, NULL, w, h, 0) == EDGEMARK_STATUS_NULL_POINTER, "NULL buffer");
    CHECK(edgemark_overlay_render(id, strength, buf, w, h, 10) == EDGEMARK_STATUS_INVALID_ARGUMENT, "stride under width * 4");
    CHECK(edgemark_overlay_render(id, 0.0f, buf, w, h, 0) == EDGEMARK_STATUS_CONFIG &&
              contains(edgemark_last_error(), "strength"),
          "strength 0: %s", edgemark_last_error());
    CHECK(edgemark_overlay_render(id, 100.0f, buf, w, h, 0) == EDGEMARK_STATUS_CONFIG, "strength 100");
    CHECK(edgemark_overlay_render(id, strength, buf, 0, h, 0) == EDGEMARK_STATUS_INVALID_FRAME, "zero width");
    CHECK(edgemark_overlay_render(id, strength, buf, 1u << 20, 1u << 20, 0) == EDGEMARK_STATUS_TOO_LARGE, "2^40 pixels");
    int untouched = 1;
    for (size_t i = 0; i < stride * h; i++) untouched &= buf[i] == 0xCD;
    CHECK(untouched, "failed calls wrote nothing");
    free(buf);

    /* Trace: a 480x360 page with and without the overlay. */
    w = 480, h = 360;
    uint8_t *plain = malloc((size_t)w * h * 3), *shown = malloc((size_t)w * h * 3);
    uint8_t *layer = malloc((size_t)w * h * 4);
    page(plain, w, h);
    memcpy(shown, plain, (size_t)w * h * 3);
    CHECK(edgemark_overlay_render(id, strength, layer, w, h, 0) == EDGEMARK_STATUS_OK, "render 480x360");
    composite(shown, layer, (size_t)w * h);
    char want[64];
    snprintf(want, sizeof want, "\"id\":%u", id);
    EdgemarkStatus st;
    char *json = trace_rgb(shown, w, h, NULL, &st);
    CHECK(st == EDGEMARK_STATUS_OK && contains(json, "\"detected\":true") && contains(json, want),
          "traced without a list: %s", json ? json : edgemark_last_error());
    edgemark_string_free(json);
    char ids[128];
    snprintf(ids, sizeof ids, "id,name\n5,bob\n%u,alice\n", id);
    json = trace_rgb(shown, w, h, ids, &st);
    CHECK(st == EDGEMARK_STATUS_OK && contains(json, want) && contains(json, "\"name\":\"alice\"") &&
              contains(json, "\"candidates\":2"),
          "traced with a list: %s", json ? json : edgemark_last_error());
    edgemark_string_free(json);
    json = trace_rgb(plain, w, h, ids, &st);
    CHECK(st == EDGEMARK_STATUS_OK && contains(json, "\"detected\":false") && contains(json, "\"id\":null"),
          "the page without the overlay names nobody: %s", json ? json : edgemark_last_error());
    edgemark_string_free(json);
    json = trace_rgb(shown, w, h, "5,bob\n6,carol\n", &st);
    CHECK(st == EDGEMARK_STATUS_OK && contains(json, "\"detected\":false"),
          "a list without the ID names nobody: %s", json ? json : edgemark_last_error());
    edgemark_string_free(json);
    json = trace_rgb(shown, w, h, "5,bob\nfive,carol\n", &st);
    CHECK(st == EDGEMARK_STATUS_CONFIG && json == NULL && contains(edgemark_last_error(), "line 2"),
          "a malformed list: %s", edgemark_last_error());
    json = trace_rgb(shown, 80, 80, NULL, &st);
    CHECK(st == EDGEMARK_STATUS_TOO_SMALL && json == NULL, "an 80x80 crop is too small: %s", edgemark_last_error());

    unsigned char junk[] = {0x89, 'P', 'N', 'G', 0, 1, 2, 3};
    CHECK(edgemark_trace_encoded(junk, sizeof junk, NULL, 0.0, &json) == EDGEMARK_STATUS_DECODE && json == NULL,
          "corrupt bytes: %s", edgemark_last_error());
    CHECK(edgemark_trace_encoded(NULL, 10, NULL, 0.0, &json) == EDGEMARK_STATUS_NULL_POINTER, "NULL data");
    CHECK(edgemark_trace_encoded(junk, sizeof junk, NULL, 0.0, NULL) == EDGEMARK_STATUS_NULL_POINTER, "NULL json");
    CHECK(edgemark_trace_frame(NULL, NULL, 0.0, &json) == EDGEMARK_STATUS_NULL_POINTER, "NULL frame");

    free(plain);
    free(shown);
    free(layer);
    free(tile);
    free(cli);
    printf("%d failure(s)\n", failures);
    return failures != 0;
}
