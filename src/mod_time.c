/* mod_time.c: the time namespace: wall and monotonic clocks, and an interruptible sleep. */
#include "modules.h"
#include <math.h>
#include <time.h>

static double clock_seconds(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static TnValue time_time(TnState *st, TnValue *a)
{
    return tn_float(clock_seconds(CLOCK_REALTIME));
}

static TnValue time_time_ns(TnState *st, TnValue *a)
{
    return tn_int(clock_ns(CLOCK_REALTIME));
}

static TnValue time_perf_counter(TnState *st, TnValue *a)
{
    return tn_float(clock_seconds(CLOCK_MONOTONIC));
}

static TnValue time_perf_counter_ns(TnState *st, TnValue *a)
{
    return tn_int(clock_ns(CLOCK_MONOTONIC));
}

static TnValue time_process_time(TnState *st, TnValue *a)
{
    return tn_float(clock_seconds(CLOCK_PROCESS_CPUTIME_ID));
}

static TnStr *s_float; /* "__float__", interned by mod_time_new */

/* Sleeps in steps of at most 50 ms so that Ctrl-C (tn_interrupted) stops it
 * with KeyboardInterrupt. */
static TnValue time_sleep(TnState *st, TnValue *a)
{
    double secs;
    if (IS_NUMBER(a[0]))
        secs = tn_num_as_double(a[0]);
    else if (!IS_OBJ(a[0]) || IS_UNDEF(type_lookup(tn_type_of(a[0]), s_float)))
        return tn_raise(st, tn_TypeError, "'%s' object cannot be interpreted as an integer",
                        tn_type_name(a[0]));
    else if (tn_as_double(st, a[0], &secs, NULL) < 0)
        return tn_undef();
    if (isnan(secs))
        return tn_raise(st, tn_ValueError, "Invalid value NaN (not a number)");
    if (secs < 0)
        return tn_raise(st, tn_ValueError, "sleep length must be non-negative");
    double deadline = clock_seconds(CLOCK_MONOTONIC) + secs;
    for (;;) {
        if (tn_interrupted) {
            tn_interrupted = 0;
            return tn_raise_value(st, tn_ref(tn_obj(tn_KeyboardInterrupt)));
        }
        double left = deadline - clock_seconds(CLOCK_MONOTONIC);
        if (left <= 0)
            break;
        if (left > 0.05)
            left = 0.05;
        struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)(left * 1e9)};
        nanosleep(&ts, NULL);
    }
    return tn_none();
}

static const TnMethodDef time_defs[] = {
    {"time",            time_time,            "time()", NULL,
     "Return the current time in seconds since the Epoch."},
    {"time_ns",         time_time_ns,         "time_ns()", NULL,
     "Return the current time in nanoseconds since the Epoch."},
    {"perf_counter",    time_perf_counter,    "perf_counter()", NULL,
     "Performance counter for benchmarking."},
    {"perf_counter_ns", time_perf_counter_ns, "perf_counter_ns()", NULL,
     "Performance counter for benchmarking as nanoseconds."},
    {"monotonic",       time_perf_counter,    "monotonic()", NULL,
     "Monotonic clock, cannot go backward."},
    {"monotonic_ns",    time_perf_counter_ns, "monotonic_ns()", NULL,
     "Monotonic clock, cannot go backward, as nanoseconds."},
    {"process_time",    time_process_time,    "process_time()", NULL,
     "Process time for profiling: sum of the kernel and user-space CPU time."},
    {"sleep",           time_sleep,           "sleep(secs, /)", NULL,
     "Delay execution for a given number of seconds."},
    {NULL},
};


TnValue mod_time_new(TnState *st)
{
    if (!(s_float = str_intern("__float__")))
        return tn_no_memory(st);
    TnValue ns = ns_new(st, "time");
    if (IS_UNDEF(ns))
        return ns;
    if (mod_set_str(st, ns, "__doc__",
                    "This module provides various functions to manipulate time values.") < 0 ||
        ns_add_methods(st, ns, time_defs) < 0) {
        tn_decref(ns);
        return tn_undef();
    }
    return ns;
}
