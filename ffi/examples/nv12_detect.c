/* Example: read a raw NV12 file (tightly packed: Y plane, then interleaved UV) and print
 * what EdgeMark finds in it.
 *
 *   nv12_detect FRAME.nv12 WIDTH HEIGHT
 *
 * Exit status: 0 when a watermark was detected, 1 when none was, 2 on error. */
#include <edgemark.h>
#include <stdio.h>
#include <stdlib.h>

static unsigned char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    unsigned char *buf = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        if (n > 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n)) != NULL) {
            if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
                free(buf);
                buf = NULL;
            } else {
                *len = (size_t)n;
            }
        }
    }
    fclose(f);
    return buf;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s FRAME.nv12 WIDTH HEIGHT\n", argv[0]);
        return 2;
    }
    uint32_t w = (uint32_t)strtoul(argv[2], NULL, 10), h = (uint32_t)strtoul(argv[3], NULL, 10);
    size_t len = 0;
    unsigned char *data = read_file(argv[1], &len);
    if (!data) {
        fprintf(stderr, "cannot read %s\n", argv[1]);
        return 2;
    }
    size_t luma = (size_t)w * h;
    /* The library checks every size itself; the split only needs to stay inside the file. */
    EdgemarkFrame frame = {
        .format = EDGEMARK_PIXEL_FORMAT_NV12,
        .width = w,
        .height = h,
        .planes = {{data, luma < len ? luma : len, w},
                   {luma < len ? data + luma : NULL, luma < len ? len - luma : 0, 0},
                   {NULL, 0, 0}},
    };
    EdgemarkDetector *det = NULL;
    EdgemarkReport *report = NULL;
    int rc = 2;
    EdgemarkStatus st = edgemark_detector_new(&det);
    if (st == EDGEMARK_STATUS_OK) st = edgemark_detect_frame(det, &frame, &report);
    if (st != EDGEMARK_STATUS_OK) {
        fprintf(stderr, "error (%s): %s\n", edgemark_status_str(st), edgemark_last_error());
    } else {
        printf("%s: %ux%u NV12\n", argv[1], w, h);
        for (size_t i = 0; i < edgemark_report_count(report); i++) {
            EdgemarkFinding f;
            if (edgemark_report_finding(report, i, &f) != EDGEMARK_STATUS_OK) continue;
            if (f.error) {
                printf("  %s (%s): cannot read (%s): %s\n", f.watermark, f.scheme,
                       edgemark_status_str(f.status), f.error);
                continue;
            }
            printf("  %s (%s): %s  p=%.3g  matched=%lld/%zu  payload=%s  bits=%s\n", f.watermark,
                   f.scheme, f.detected ? "DETECTED" : "not detected",
                   f.has_p_value ? f.p_value : 1.0, (long long)f.matched_bits, f.total_bits,
                   f.payload_hex, f.bits);
        }
        rc = edgemark_report_any_detected(report) ? 0 : 1;
    }
    edgemark_report_free(report);
    edgemark_detector_free(det);
    free(data);
    return rc;
}
