/*
 * test_scheduler.c - cycle collection with timeouts: a target that hangs
 * never delays the others, is reported as timed out, is skipped while still
 * busy, and its late answer is discarded.  The targets are a collector type
 * of the test's own whose read() sleeps for as long as it is told.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "scheduler.h"

struct sleeper {
    int delay_ms; /* how long read() takes */
    bool fail;
};

static enum sdc_rc sl_create(const void *cfg, void **ctx, struct sdc_error *err)
{
    struct sleeper *s = malloc(sizeof(*s));
    (void)err;
    *s = *(const struct sleeper *)cfg;
    *ctx = s;
    return SDC_OK;
}

static enum sdc_rc sl_read(void *ctx, struct sdc_batch *out,
                           struct sdc_error *err)
{
    struct sleeper *s = ctx;
    struct timespec ts = {s->delay_ms / 1000,
                          (long)(s->delay_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    if (s->fail)
        return sdc_error_set(err, SDC_ERR_LIBVIRT, "%s: refused", out->source);
    sdc_batch_add_sample(out, SDC_AR_HV_CPU, out->source, NULL, out->cycle);
    return SDC_OK;
}

static void sl_destroy(void *ctx)
{
    free(ctx);
}

static const struct sdc_collector_type sleeper_type = {
    .name = "sleeper",
    .create = sl_create,
    .read = sl_read,
    .destroy = sl_destroy,
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_hung_target_does_not_delay_others(void **state)
{
    struct sched *s;
    struct sdc_error err;
    struct sdc_batch **b;
    size_t n;
    struct sleeper fast = {50, false}, hung = {2500, false}, bad = {0, true};
    struct sched_target_stats st;
    double t0, took;
    (void)state;

    assert_int_equal(sched_new(&s, &err), SDC_OK);
    assert_int_equal(sched_add(s, &sleeper_type, &fast, "fast", 1.0, &err),
                     SDC_OK);
    assert_int_equal(sched_add(s, &sleeper_type, &hung, "hung", 0.5, &err),
                     SDC_OK);
    assert_int_equal(sched_add(s, &sleeper_type, &bad, "refused", 1.0, &err),
                     SDC_OK);

    /* cycle 1: fast answers, hung times out after its own 0.5 s */
    t0 = now_s();
    assert_int_equal(sched_run_cycle(s, 1000, &b, &n, &err), SDC_OK);
    took = now_s() - t0;
    assert_int_equal(n, 3);
    assert_true(b[0]->ok);
    assert_int_equal(b[0]->samples.len, 1);
    assert_int_equal(b[0]->cycle, 1000);
    assert_false(b[1]->ok);
    assert_int_equal(b[1]->error.code, SDC_ERR_TIMEOUT);
    assert_non_null(strstr(b[1]->error.msg, "hung: no answer within"));
    assert_false(b[2]->ok);
    assert_string_equal(b[2]->error.msg, "refused: refused");
    /* waited for the hung one's timeout, not for its 2.5 s read */
    assert_true(took >= 0.45);
    assert_true(took < 1.5);
    for (size_t i = 0; i < n; i++)
        sdc_batch_free(b[i]);
    free(b);

    /* cycle 2, right away: hung is still inside its read, so it is skipped
     * at once and the cycle takes only as long as the fast target */
    t0 = now_s();
    assert_int_equal(sched_run_cycle(s, 1010, &b, &n, &err), SDC_OK);
    took = now_s() - t0;
    assert_true(b[0]->ok);
    assert_false(b[1]->ok);
    assert_non_null(strstr(b[1]->error.msg, "still busy"));
    assert_true(took < 0.4);
    for (size_t i = 0; i < n; i++)
        sdc_batch_free(b[i]);
    free(b);

    /* let the hung read finish: its late answer is discarded, and the next
     * cycle asks it again */
    sleep(3);
    assert_int_equal(sched_run_cycle(s, 1020, &b, &n, &err), SDC_OK);
    assert_true(b[0]->ok);
    assert_false(b[1]->ok); /* 2.5 s read, 0.5 s timeout: times out again */
    assert_non_null(strstr(b[1]->error.msg, "no answer within"));
    for (size_t i = 0; i < n; i++)
        sdc_batch_free(b[i]);
    free(b);

    sched_get_stats(s, 1, &st);
    assert_int_equal(st.timeouts, 2);
    assert_int_equal(st.skipped, 1);
    assert_int_equal(st.reads, 0);
    sched_get_stats(s, 0, &st);
    assert_int_equal(st.reads, 3);
    sched_get_stats(s, 2, &st);
    assert_int_equal(st.errors, 3);
    /* let the last hung read end, so that freeing joins every thread (a
     * thread still inside a read would be detached and its memory left,
     * which the leak checker would rightly report) */
    sleep(3);
    sched_free(s);
}

static void test_cycle_clock(void **state)
{
    long missed;
    (void)state;
    /* first start: the next multiple of step, never now */
    assert_int_equal(sched_first_start(1000.0, 60), 1020);
    assert_int_equal(sched_first_start(1019.999, 60), 1020);
    assert_int_equal(sched_first_start(1020.0, 60), 1080);
    assert_int_equal(sched_first_start(7.5, 10), 10);
    /* on time: one step later */
    assert_int_equal(sched_next_start(1020, 1025.3, 60, &missed), 1080);
    assert_int_equal(missed, 0);
    /* ended exactly at the next start: still on time */
    assert_int_equal(sched_next_start(1020, 1080.0, 60, &missed), 1080);
    assert_int_equal(missed, 0);
    /* overran into the next step: that start is missed, not run late */
    assert_int_equal(sched_next_start(1020, 1080.5, 60, &missed), 1140);
    assert_int_equal(missed, 1);
    /* overran by three and a bit steps */
    assert_int_equal(sched_next_start(1020, 1260.1, 60, &missed), 1320);
    assert_int_equal(missed, 4);
    /* starts stay on multiples of step */
    assert_int_equal(sched_next_start(1020, 1260.1, 60, &missed) % 60, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cycle_clock),
        cmocka_unit_test(test_hung_target_does_not_delay_others),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
