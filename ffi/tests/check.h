/* What the C tests share: a check that prints a line and counts failures, and reading a file
 * into memory. Included by each test (one translation unit each). */
#ifndef EDGEMARK_TESTS_CHECK_H
#define EDGEMARK_TESTS_CHECK_H
#include <stdio.h>
#include <stdlib.h>

static int failures = 0;
#define CHECK(cond, ...)                                                    \
    do {                                                                    \
        if (cond) {                                                         \
            printf("ok    ");                                               \
        } else {                                                            \
            printf("FAIL  ");                                               \
            failures++;                                                     \
        }                                                                   \
        printf(__VA_ARGS__);                                                \
        printf("\n");                                                       \
    } while (0)

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

#endif
