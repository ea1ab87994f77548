/*
 * A pool of spinning worker threads for the one-row forward pass, beside
 * OpenMP.
 *
 * A one-row prediction of workload A takes about 5 us at 2 threads. On the
 * Intel Xeon guest, a libgomp region's fork and join cost 1.4 us of it,
 * with two futex wake calls per region even while the worker spins. Here a
 * job goes to a waiting worker through one cache line and comes back
 * through another, and a barrier waits for one line per round. A fork, two
 * barriers and a join took 0.57 us in a loop, against 1.3 us with libgomp.
 *
 * Two sets of spinning threads on the same cores fight: each spins for a
 * while after its work, and the scheduler gives the cores to them in turns
 * of a tick. A Predictor called alternately on 1 row (pool) and on 100
 * rows (OpenMP) took 2.9 ms per pair instead of 0.21 ms when both ran
 * freely. So the two take turns here:
 *
 * - Every OpenMP region of fastnn marks its start and end (fnn_omp_begin,
 *   fnn_omp_end). A spinning worker of the pool that detects a region
 *   start goes to sleep at once.
 * - A job runs on the pool only when no region runs and none has ended
 *   within the time that the OpenMP runtime's own workers spin
 *   (fnn_omp_spin_window_ns). Otherwise fnn_team_run returns 0, and the
 *   caller opens an OpenMP region.
 *
 * fnn_team_run hands a job to nt - 1 workers and runs thread 0 itself. One
 * job runs at a time: a caller that finds the pool busy (another thread is
 * predicting) runs its job alone. Each worker spins on its own slot for
 * SPIN_NS after its last job, then sleeps on a condition variable.
 *
 * The pool exists in OpenMP builds on POSIX systems; elsewhere
 * fnn_team_run always returns 0.
 */
#include "fnn_internal.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#if defined(_OPENMP) && (defined(__unix__) || defined(__APPLE__))
#define FNN_HAVE_POOL 1
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#endif

/* An estimated upper bound of one spin of the OpenMP runtime's wait loop
 * (a load and a pause instruction). 300,000 spins of libgomp took 5-7 ms
 * on the Intel Xeon guest, 17-23 ns each. The bound leaves room for CPUs
 * whose pause instruction is slower. */
#define SPIN_BOUND_NS 200.0
/* Added to every window, for the clock's tick and the wake-up of a
 * sleeping thread. */
#define WINDOW_MARGIN_NS 10000000.0

/* Reads a non-negative number after any blanks, or INFINITE / INFINITY as
 * HUGE_VAL. Sets *rest to the text after it and its blanks. Returns -1
 * when there is no such number. */
static double read_amount(const char *s, const char **rest)
{
    while (isspace((unsigned char)*s))
        s++;
    double v;
    if (strncasecmp(s, "infinite", 8) == 0 || strncasecmp(s, "infinity", 8) == 0) {
        v = HUGE_VAL;
        s += 8;
    } else {
        char *end;
        v = strtod(s, &end);
        /* !(v >= 0) also rejects the NaN that strtod reads from "nan" */
        if (end == s || !(v >= 0))
            return -1;
        s = end;
    }
    while (isspace((unsigned char)*s))
        s++;
    *rest = s;
    return v;
}

/* A suffix of a number and the factor it stands for. */
typedef struct {
    const char *suffix;
    double factor;
} unit;

/* Reads a number with an optional suffix from `units` (matched without
 * regard to case, in order), or INFINITE / INFINITY. Returns -1 for a
 * value it cannot read. */
static double parse_amount(const char *s, const unit *units)
{
    const char *rest;
    const double v = read_amount(s, &rest);
    if (v < 0)
        return -1;
    double factor = 1;
    for (const unit *u = units; u->suffix; u++) {
        const size_t len = strlen(u->suffix);
        if (strncasecmp(rest, u->suffix, len) == 0) {
            factor = u->factor;
            rest += len;
            break;
        }
    }
    while (isspace((unsigned char)*rest))
        rest++;
    return *rest ? -1 : v * factor;
}

/* GOMP_SPINCOUNT: a count with an optional k, M, G or T suffix. */
static const unit spin_units[] = {{"k", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12}, {NULL, 0}};
/* KMP_BLOCKTIME in milliseconds: a bare number is milliseconds. */
static const unit blocktime_units[] = {{"ms", 1}, {"us", 1e-3}, {"s", 1e3}, {NULL, 0}};

double fnn_omp_spin_window_ns(const char *spincount, const char *wait_policy,
                              const char *blocktime, int llvm_runtime)
{
    const int active = wait_policy && strncasecmp(wait_policy, "active", 6) == 0;
    const int passive = wait_policy && strncasecmp(wait_policy, "passive", 7) == 0;
    if (llvm_runtime) {
        /* LLVM's and Intel's runtime: workers spin for KMP_BLOCKTIME
         * milliseconds (default 200), forever with OMP_WAIT_POLICY=ACTIVE
         * and not at all with PASSIVE, unless KMP_BLOCKTIME is given. */
        double ms = 200;
        if (active)
            ms = HUGE_VAL;
        else if (passive)
            ms = 0;
        if (blocktime && *blocktime) {
            const double v = parse_amount(blocktime, blocktime_units);
            ms = v < 0 ? ms : v;
        }
        return ms * 1e6 + WINDOW_MARGIN_NS;
    }
    /* GNU libgomp's manual: GOMP_SPINCOUNT spins, else 300,000 with
     * OMP_WAIT_POLICY unset, 30 billion with ACTIVE and 0 with PASSIVE. */
    double spins = 3e5;
    if (active)
        spins = 3e10;
    else if (passive)
        spins = 0;
    if (spincount && *spincount) {
        const double v = parse_amount(spincount, spin_units);
        spins = v < 0 ? spins : v;
    }
    return spins * SPIN_BOUND_NS + WINDOW_MARGIN_NS;
}

#ifdef FNN_HAVE_POOL

/* Workers at most; a larger team gets this many plus the caller. */
#define POOL_MAX 63
/* How long an idle worker spins before it sleeps. */
#define SPIN_NS 100000
/* Spins between yields in a barrier or join, for a team larger than the
 * free cores. */
#define SPINS_PER_YIELD 4096

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* A clock for the OpenMP stamps, read once per region. Linux's coarse
 * clock took 8 ns a read here against 40 for CLOCK_MONOTONIC, and its
 * ticks of 1-4 ms are short against windows of 10 ms and more. */
static long long stamp_ns(void)
{
#ifdef CLOCK_MONOTONIC_COARSE
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
#else
    return now_ns();
#endif
}

/* Rounds of the dissemination barrier: ceil(log2(POOL_MAX + 1)). */
#define ROUNDS 6
/* Epochs between two jobs: a job may wait at fewer barriers than this.
 * Job j starts at j * JOB_EPOCHS, modulo 2^64, so the barrier compares
 * epochs by their signed difference. */
#define JOB_EPOCHS ((uint64_t)1 << 32)

/* What the caller posts to one worker, in one cache line: the job number
 * last, which the worker waits for. */
typedef struct {
    _Alignas(64) _Atomic uint64_t job;
    fnn_team_fn fn;
    void *arg;
    int team;
    uint64_t epoch;
} pool_slot;

/* A word in a cache line of its own. */
typedef struct {
    _Alignas(64) _Atomic uint64_t value;
} pool_word;

static struct {
    pool_slot slot[POOL_MAX];
    pool_word done[POOL_MAX];             /* the last job each worker finished */
    pool_word flag[POOL_MAX + 1][ROUNDS]; /* barrier signals to thread t */
    pool_word epoch[POOL_MAX + 1];        /* thread t's last barrier */
    _Alignas(64) atomic_flag busy;
    int workers;     /* started; changed only by the holder of busy */
    uint64_t jobs;   /* posted; likewise */
    _Alignas(64) _Atomic int sleepers;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    /* the end of the last OpenMP region, by stamp_ns */
    _Alignas(64) _Atomic long long omp_stamp;
    /* OpenMP regions started, which spinning workers watch, and running */
    _Atomic unsigned long omp_starts;
    _Atomic int omp_running;
    /* set when a worker thread could not be started: OpenMP does the work */
    _Atomic int failed;
    /* ns after the last region within which the pool is not used; < 0
     * until window_ns has read the environment */
    _Atomic double window;
} pool = {.busy = ATOMIC_FLAG_INIT,
          .lock = PTHREAD_MUTEX_INITIALIZER,
          .wake = PTHREAD_COND_INITIALIZER,
          .omp_stamp = LLONG_MIN / 2,
          .window = -1};

/* Jobs that this thread ran on the pool's workers. */
static _Thread_local unsigned long pool_jobs = 0;

static double window_ns(void)
{
    double w = atomic_load_explicit(&pool.window, memory_order_relaxed);
    if (w < 0) {
#ifdef __clang__
        const int llvm_runtime = 1;
#else
        const int llvm_runtime = 0;
#endif
        w = fnn_omp_spin_window_ns(getenv("GOMP_SPINCOUNT"), getenv("OMP_WAIT_POLICY"),
                                   getenv("KMP_BLOCKTIME"), llvm_runtime);
        atomic_store_explicit(&pool.window, w, memory_order_relaxed);
    }
    return w;
}

void fnn_omp_begin(void)
{
    atomic_fetch_add_explicit(&pool.omp_running, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&pool.omp_starts, 1, memory_order_relaxed);
}

void fnn_omp_end(void)
{
    atomic_store_explicit(&pool.omp_stamp, stamp_ns(), memory_order_relaxed);
    atomic_fetch_sub_explicit(&pool.omp_running, 1, memory_order_relaxed);
}

void fnn_team_set_window(double ns)
{
    atomic_store_explicit(&pool.window, ns < 0 ? -1.0 : ns, memory_order_relaxed);
}

unsigned long fnn_team_jobs(void)
{
    return pool_jobs;
}

/* Waits for a job number other than `seen` in worker i's slot. */
static uint64_t wait_job(int i, uint64_t seen)
{
    _Atomic uint64_t *job = &pool.slot[i].job;
    const unsigned long omp = atomic_load_explicit(&pool.omp_starts, memory_order_relaxed);
    const long long start = now_ns();
    for (long spin = 1;; spin++) {
        const uint64_t j = atomic_load_explicit(job, memory_order_acquire);
        if (j != seen)
            return j;
        /* an OpenMP region began: leave the cores to its threads */
        if (atomic_load_explicit(&pool.omp_starts, memory_order_relaxed) != omp)
            break;
        cpu_relax();
        if (spin % 256 == 0 && now_ns() - start > SPIN_NS)
            break;
    }
    /* Sleep. The count and the job number are both sequentially
     * consistent, so either fnn_team_run finds this sleeper or this worker
     * finds its job. */
    uint64_t j;
    pthread_mutex_lock(&pool.lock);
    atomic_fetch_add(&pool.sleepers, 1);
    while ((j = atomic_load(job)) == seen)
        pthread_cond_wait(&pool.wake, &pool.lock);
    atomic_fetch_sub(&pool.sleepers, 1);
    pthread_mutex_unlock(&pool.lock);
    return j;
}

static void *worker_main(void *p)
{
    const int i = (int)(intptr_t)p;
    pool_slot *slot = &pool.slot[i];
    uint64_t seen = 0;
    for (;;) {
        seen = wait_job(i, seen);
        atomic_store_explicit(&pool.epoch[i + 1].value, slot->epoch, memory_order_relaxed);
        slot->fn(slot->arg, i + 1, slot->team);
        atomic_store_explicit(&pool.done[i].value, seen, memory_order_release);
    }
    return NULL;
}

/* Starts workers until there are n; returns 0 when a thread could not be
 * started. */
static int start_workers(int n)
{
    while (pool.workers < n) {
        pthread_t thread;
        pthread_attr_t attr;
        if (pthread_attr_init(&attr) != 0)
            return 0;
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        const int err = pthread_create(&thread, &attr, worker_main,
                                       (void *)(intptr_t)pool.workers);
        pthread_attr_destroy(&attr);
        if (err != 0)
            return 0;
        pool.workers++;
    }
    return 1;
}

static void spin_wait_yielding(long *spin)
{
    cpu_relax();
    if (++*spin % SPINS_PER_YIELD == 0)
        sched_yield();
}

int fnn_team_run(int nt, fnn_team_fn fn, void *arg)
{
    nt = nt > POOL_MAX + 1 ? POOL_MAX + 1 : nt;
    if (nt < 2 || fnn_fork_serial() || atomic_load_explicit(&pool.failed, memory_order_relaxed))
        return 0;
    /* an OpenMP region runs in another thread, or its workers may spin */
    if (atomic_load_explicit(&pool.omp_running, memory_order_relaxed) > 0)
        return 0;
    const long long omp = atomic_load_explicit(&pool.omp_stamp, memory_order_relaxed);
    if ((double)(stamp_ns() - omp) < window_ns())
        return 0;
    if (atomic_flag_test_and_set_explicit(&pool.busy, memory_order_acquire)) {
        /* another thread is using the pool */
        fn(arg, 0, 1);
        return 1;
    }
    if (!start_workers(nt - 1)) {
        /* no more threads (a process limit, for example): leave the work
         * to OpenMP from now on instead of trying again at every call */
        atomic_store_explicit(&pool.failed, 1, memory_order_relaxed);
        atomic_flag_clear_explicit(&pool.busy, memory_order_release);
        return 0;
    }
    pool_jobs++;
    const uint64_t job = ++pool.jobs;
    const uint64_t epoch = job * JOB_EPOCHS;
    atomic_store_explicit(&pool.epoch[0].value, epoch, memory_order_relaxed);
    for (int i = 0; i < nt - 1; i++) {
        pool.slot[i].fn = fn;
        pool.slot[i].arg = arg;
        pool.slot[i].team = nt;
        pool.slot[i].epoch = epoch;
        atomic_store(&pool.slot[i].job, job);
    }
    if (atomic_load(&pool.sleepers) > 0) {
        pthread_mutex_lock(&pool.lock);
        pthread_cond_broadcast(&pool.wake);
        pthread_mutex_unlock(&pool.lock);
    }
    fn(arg, 0, nt);
    long spin = 0;
    for (int i = 0; i < nt - 1; i++)
        while (atomic_load_explicit(&pool.done[i].value, memory_order_acquire) != job)
            spin_wait_yielding(&spin);
    atomic_flag_clear_explicit(&pool.busy, memory_order_release);
    return 1;
}

/* A dissemination barrier: in round r, thread t signals thread t + 2^r
 * and waits for the signal of thread t - 2^r (mod team). Each signal is an
 * epoch, larger at every barrier and job, in a line that only its one
 * writer stores to, so a thread waits for one transfer per round. */
void fnn_team_barrier(int t, int team)
{
    if (team < 2)
        return;
    const uint64_t e = atomic_load_explicit(&pool.epoch[t].value, memory_order_relaxed) + 1;
    atomic_store_explicit(&pool.epoch[t].value, e, memory_order_relaxed);
    long spin = 0;
    for (int r = 0, d = 1; d < team; r++, d *= 2) {
        atomic_store_explicit(&pool.flag[(t + d) % team][r].value, e, memory_order_release);
        /* e - flag, not flag < e: the epochs wrap after 2^32 jobs */
        while ((int64_t)(e - atomic_load_explicit(&pool.flag[t][r].value,
                                                  memory_order_acquire)) > 0)
            spin_wait_yielding(&spin);
    }
}

#else

void fnn_omp_begin(void)
{
}

void fnn_omp_end(void)
{
}

void fnn_team_set_window(double ns)
{
    (void)ns;
}

unsigned long fnn_team_jobs(void)
{
    return 0;
}

int fnn_team_run(int nt, fnn_team_fn fn, void *arg)
{
    (void)nt;
    (void)fn;
    (void)arg;
    return 0;
}

void fnn_team_barrier(int t, int team)
{
    (void)t;
    (void)team;
}

#endif
