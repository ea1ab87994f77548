/*
 * A pool of spinning worker threads for short parallel jobs.
 *
 * A one-row prediction of workload A takes about 5 us at 2 threads. On
 * the Intel Xeon guest where it was measured, libgomp's fork and join of
 * a two-thread region took 0.7 us, and each barrier 0.3 us more. Here a
 * job goes to a waiting worker through one cache line and comes back
 * through another, and a barrier waits for one line per round: a fork, two
 * barriers and a join took 0.57 us in a loop, against 1.3 us with libgomp.
 *
 * fnn_team_run hands a job to nt - 1 workers and runs thread 0 itself. One
 * job runs at a time: a caller that finds the pool busy (another thread is
 * predicting) runs its job alone, and so does a forked child, whose pool
 * threads do not exist. Each worker spins on its own slot for SPIN_NS
 * after its last job, then sleeps on a condition variable.
 *
 * The pool exists in OpenMP builds on POSIX systems. Elsewhere, and in a
 * serial build, every job runs on the calling thread.
 */
#include "fnn_internal.h"

#if defined(_OPENMP) && (defined(__unix__) || defined(__APPLE__))
#define FNN_HAVE_POOL 1
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#endif

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

/* Rounds of the dissemination barrier: ceil(log2(POOL_MAX + 1)). */
#define ROUNDS 6
/* Epochs between two jobs: a job may wait at fewer barriers than this. */
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
} pool = {.busy = ATOMIC_FLAG_INIT,
          .lock = PTHREAD_MUTEX_INITIALIZER,
          .wake = PTHREAD_COND_INITIALIZER};

/* Waits for a job number other than `seen` in worker i's slot. */
static uint64_t wait_job(int i, uint64_t seen)
{
    _Atomic uint64_t *job = &pool.slot[i].job;
    const long long start = now_ns();
    for (long spin = 1;; spin++) {
        const uint64_t j = atomic_load_explicit(job, memory_order_acquire);
        if (j != seen)
            return j;
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

void fnn_team_run(int nt, fnn_team_fn fn, void *arg)
{
    nt = nt > POOL_MAX + 1 ? POOL_MAX + 1 : nt;
    if (nt > 1 && !fnn_fork_serial() &&
        !atomic_flag_test_and_set_explicit(&pool.busy, memory_order_acquire)) {
        if (start_workers(nt - 1)) {
            fnn_note_parallel(nt);
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
            return;
        }
        atomic_flag_clear_explicit(&pool.busy, memory_order_release);
    }
    fn(arg, 0, 1);
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
        while (atomic_load_explicit(&pool.flag[t][r].value, memory_order_acquire) < e)
            spin_wait_yielding(&spin);
    }
}

#else

void fnn_team_run(int nt, fnn_team_fn fn, void *arg)
{
    (void)nt;
    fn(arg, 0, 1);
}

void fnn_team_barrier(int t, int team)
{
    (void)t;
    (void)team;
}

#endif
