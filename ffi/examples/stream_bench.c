#define _POSIX_C_SOURCE 200809L
/* Benchmark: feeds one raw NV12 frame (tightly packed: Y plane, then interleaved UV) FRAMES
 * times to stream detectors on one thread and prints one JSON line: time per push (median,
 * p90), frames/s on one core, memory per stream, and what the last window found.
 *
 *   stream_bench FRAME.nv12 WIDTH HEIGHT CONFIG_JSON WINDOW FRAMES [--centre WxH] [--streams K]
 *
 * CONFIG_JSON goes to edgemark_detector_new_json, e.g. '{"presets":["sdxl"]}' or
 * '{"presets":[],"watermarks":["edgemark-v3"]}'.
 * --centre WxH  detects on a centred W x H region only, without copying: the frame's planes
 *               point into the full frame at the region's offset and keep the full strides.
 *               The offsets are rounded down to a multiple of 8 (NV12 needs them even; 8 also
 *               keeps dwtDct's 8-pixel block grid, so a mark written on the full frame stays
 *               aligned in the region).
 * --streams K   K independent streams (one detector each, as a camera per stream would have),
 *               each fed every frame: the RSS increment over K gives the memory per stream.
 *
 * Pushes are timed one by one with CLOCK_MONOTONIC (wall) and CLOCK_THREAD_CPUTIME_ID (CPU of
 * this thread: the figure to trust when other processes share the cores). Memory: the RSS
 * (/proc/self/statm) before the streams are created (frame read, no detector yet), after they
 * are created, after they are fed, and the peak (getrusage); and the bytes malloc has handed
 * out and not got back (glibc's mallinfo2) before and after, which, unlike the RSS, leaves
 * out what the allocator keeps after a push's working buffers are freed. Per stream: the
 * increment over K. Exit status 0 on success, 1 on any error (the library's last error
 * message on stderr), 2 on bad arguments. */
#include <edgemark.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

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

/* Resident set size in KiB (second field of /proc/self/statm, in pages); -1 if unreadable. */
static long rss_kib(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return -1;
    long size = 0, resident = -1;
    if (fscanf(f, "%ld %ld", &size, &resident) != 2) resident = -1;
    fclose(f);
    long page = sysconf(_SC_PAGESIZE);
    return resident < 0 || page <= 0 ? -1 : resident * (page / 1024);
}

/* Bytes the process has allocated with malloc and not freed, in KiB (the Rust library allocates
 * with malloc): unlike the RSS, it does not count what the allocator keeps after a free, so
 * it is what the streams themselves hold. -1 where glibc's mallinfo2 is missing. */
static long heap_kib(void) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    struct mallinfo2 mi = mallinfo2();
    return (long)((mi.uordblks + mi.hblkhd) / 1024);
#else
    return -1;
#endif
}

static long peak_rss_kib(void) {
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}

static double ms_between(const struct timespec *a, const struct timespec *b) {
    return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The q-quantile (0..1) of n sorted values, nearest rank. */
static double quantile(const double *sorted, size_t n, double q) {
    size_t rank = (size_t)(q * (double)n + 0.999999);
    if (rank < 1) rank = 1;
    if (rank > n) rank = n;
    return sorted[rank - 1];
}

/* Writes s as a JSON string (quotes included). */
static void json_string(const char *s) {
    if (!s) {
        fputs("null", stdout);
        return;
    }
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p < 0x20)
            printf("\\u%04x", *p);
        else
            putchar(*p);
    }
    putchar('"');
}

static int parse_size(const char *s, unsigned long *v) {
    char *end = NULL;
    *v = strtoul(s, &end, 10);
    return end != s && *end == '\0' && *v > 0;
}

static int usage(const char *argv0) {
    fprintf(stderr,
            "usage: %s FRAME.nv12 WIDTH HEIGHT CONFIG_JSON WINDOW FRAMES [--centre WxH] "
            "[--streams K]\n",
            argv0);
    return 2;
}

static void library_error(const char *what, EdgemarkStatus st) {
    char msg[512];
    edgemark_last_error_message(msg, sizeof msg);
    fprintf(stderr, "stream_bench: %s failed (%s): %s\n", what, edgemark_status_str((int)st), msg);
}

int main(int argc, char **argv) {
    if (argc < 7) return usage(argv[0]);
    unsigned long w = 0, h = 0, window = 0, frames = 0, rw = 0, rh = 0, streams = 1;
    if (!parse_size(argv[2], &w) || !parse_size(argv[3], &h) || !parse_size(argv[5], &window) ||
        !parse_size(argv[6], &frames) || w > 8192 || h > 8192 || frames > 100000)
        return usage(argv[0]); /* bounds keep every size below in 32 bits (armv7) */
    const char *config = argv[4];
    for (int i = 7; i < argc; i++) {
        if (strcmp(argv[i], "--centre") == 0 && i + 1 < argc) {
            if (sscanf(argv[++i], "%lux%lu", &rw, &rh) != 2 || rw == 0 || rh == 0 || rw > w ||
                rh > h) {
                fprintf(stderr, "stream_bench: --centre wants WxH inside the frame, got %s\n",
                        argv[i]);
                return 2;
            }
        } else if (strcmp(argv[i], "--streams") == 0 && i + 1 < argc) {
            if (!parse_size(argv[++i], &streams) || streams > 64) return usage(argv[0]);
        } else {
            return usage(argv[0]);
        }
    }
    if (rw == 0) {
        rw = w;
        rh = h;
    }
    /* Offsets: centred, rounded down to a multiple of 8 (even for NV12's chroma). */
    size_t x0 = ((w - rw) / 2) & ~(size_t)7, y0 = ((h - rh) / 2) & ~(size_t)7;
    size_t cw = (w + 1) / 2, ch = (h + 1) / 2;
    size_t luma = (size_t)w * h, uv_stride = 2 * cw, need = luma + uv_stride * ch;

    size_t len = 0;
    unsigned char *data = read_file(argv[1], &len);
    if (!data) {
        fprintf(stderr, "stream_bench: cannot read %s\n", argv[1]);
        return 1;
    }
    if (len < need) {
        fprintf(stderr, "stream_bench: %s has %zu bytes, a %lux%lu NV12 frame needs %zu\n",
                argv[1], len, w, h, need);
        free(data);
        return 1;
    }
    /* The region's planes point into the full frame; each plane's length runs to the end of
     * that plane, and its stride stays the full frame's. */
    size_t y_off = y0 * w + x0, uv_off = luma + (y0 / 2) * uv_stride + x0;
    EdgemarkFrame frame = {
        .format = EDGEMARK_PIXEL_FORMAT_NV12,
        .width = (uint32_t)rw,
        .height = (uint32_t)rh,
        .planes = {{data + y_off, luma - y_off, w},
                   {data + uv_off, need - uv_off, uv_stride},
                   {NULL, 0, 0}},
    };

    int rc = 1;
    size_t pushes = (size_t)frames * streams;
    EdgemarkStream **stream = calloc(streams, sizeof *stream);
    double *wall = malloc(pushes * sizeof *wall), *cpu = malloc(pushes * sizeof *cpu);
    EdgemarkReport *last = NULL;
    EdgemarkDetector *det = NULL;
    if (!stream || !wall || !cpu) {
        fprintf(stderr, "stream_bench: out of memory\n");
        goto done;
    }

    long rss_before = rss_kib(), heap_before = heap_kib();
    for (size_t k = 0; k < streams; k++) {
        /* One detector per stream, created and freed here (the stream copies it): what a
         * stream costs is then all in the increment. */
        EdgemarkStatus st = edgemark_detector_new_json(config, &det);
        if (st != EDGEMARK_STATUS_OK) {
            library_error("edgemark_detector_new_json", st);
            goto done;
        }
        st = edgemark_stream_new(det, window, &stream[k]);
        edgemark_detector_free(det);
        det = NULL;
        if (st != EDGEMARK_STATUS_OK) {
            library_error("edgemark_stream_new", st);
            goto done;
        }
    }
    long rss_created = rss_kib();

    double first_ms = 0;
    struct timespec c0, c1, t0, t1, cpu0, cpu1, wall0, wall1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu0);
    clock_gettime(CLOCK_MONOTONIC, &wall0);
    for (size_t f = 0; f < frames; f++) {
        for (size_t k = 0; k < streams; k++) {
            EdgemarkReport *report = NULL;
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
            clock_gettime(CLOCK_MONOTONIC, &t0);
            EdgemarkStatus st = edgemark_stream_push(stream[k], &frame, &report);
            clock_gettime(CLOCK_MONOTONIC, &t1);
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
            if (st != EDGEMARK_STATUS_OK) {
                library_error("edgemark_stream_push", st);
                goto done;
            }
            size_t i = f * streams + k;
            wall[i] = ms_between(&t0, &t1);
            cpu[i] = ms_between(&c0, &c1);
            if (i == 0) first_ms = wall[i];
            if (k == 0) {
                edgemark_report_free(last);
                last = report;
            } else {
                edgemark_report_free(report);
            }
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &wall1);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu1);
    long rss_after = rss_kib(), heap_after = heap_kib();

    /* Cores the pushes kept busy: process CPU time over wall time (1.0 = one core). */
    double wall_total = ms_between(&wall0, &wall1);
    double cores = wall_total > 0 ? ms_between(&cpu0, &cpu1) / wall_total : 0;
    qsort(wall, pushes, sizeof *wall, cmp_double);
    qsort(cpu, pushes, sizeof *cpu, cmp_double);
    double median = quantile(wall, pushes, 0.5), p90 = quantile(wall, pushes, 0.9), sum = 0;
    for (size_t i = 0; i < pushes; i++) sum += wall[i];
    /* getrusage's high-water mark can lag the last reading of statm by a few pages. */
    long peak = peak_rss_kib();
    if (peak < rss_after) peak = rss_after;

    fputs("{\"config\":", stdout);
    json_string(config);
    printf(",\"frame\":\"%lux%lu\",\"region\":\"%lux%lu+%zu+%zu\",\"window\":%lu,\"frames\":%lu,"
           "\"streams\":%lu,\"pushes\":%zu",
           w, h, rw, rh, x0, y0, window, frames, streams, pushes);
    printf(",\"median_ms\":%.3f,\"p90_ms\":%.3f,\"mean_ms\":%.3f,\"min_ms\":%.3f,\"max_ms\":%.3f"
           ",\"first_ms\":%.3f,\"cpu_median_ms\":%.3f,\"cores_busy\":%.2f,\"fps_per_core\":%.2f",
           median, p90, sum / (double)pushes, wall[0], wall[pushes - 1], first_ms,
           quantile(cpu, pushes, 0.5), cores, median > 0 ? 1000.0 / median : 0.0);
    /* The last window's report as the library writes it (the keys of `edgemark detect --json`). */
    char *report_json = NULL;
    EdgemarkStatus st = edgemark_report_json(last, &report_json);
    if (st != EDGEMARK_STATUS_OK) {
        library_error("edgemark_report_json", st);
        goto done;
    }
    printf(",\"report_frames\":%zu,\"report\":%s", edgemark_report_frames(last), report_json);
    edgemark_string_free(report_json);
    printf(",\"heap_kib_before\":%ld,\"heap_kib_after\":%ld,\"heap_kib_per_stream\":%.1f",
           heap_before, heap_after,
           heap_before < 0 ? -1.0 : (double)(heap_after - heap_before) / (double)streams);
    printf(",\"rss_kib_before\":%ld,\"rss_kib_created\":%ld,\"rss_kib_after\":%ld"
           ",\"rss_kib_per_stream\":%.1f,\"peak_rss_kib\":%ld}\n",
           rss_before, rss_created, rss_after, (double)(rss_after - rss_before) / (double)streams,
           peak);
    rc = 0;

done:
    edgemark_report_free(last);
    if (stream)
        for (size_t k = 0; k < streams; k++) edgemark_stream_free(stream[k]);
    edgemark_detector_free(det);
    free(stream);
    free(wall);
    free(cpu);
    free(data);
    return rc;
}
