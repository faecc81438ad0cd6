/*
 * bench_util.h - what the C benchmarks under bench/ share: a clock and
 * the median of their runs.  Header-only (each benchmark is one C file
 * compiled by its script against the build's libraries).
 */
#ifndef SDC_BENCH_UTIL_H
#define SDC_BENCH_UTIL_H

#include <stdlib.h>
#include <time.h>

/* Seconds on clock @id (CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID ...). */
static inline double bench_now(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of @v[0..@n) (sorts @v). */
static inline double bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), bench_cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#endif
