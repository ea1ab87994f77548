/*
 * Thread policy and fork safety.
 *
 * The Python layer decides the thread count once (argument, environment,
 * usable CPUs) and stores it here. Every kernel calls fnn_threads_for() to
 * get the number of threads its size deserves.
 *
 * GNU libgomp keeps its worker threads across fork(), but only the calling
 * thread exists in the child, so the child's first parallel region waits
 * forever (GCC bug 60035). A pthread_atfork child handler therefore
 * switches a child to serial execution when its parent had started a team.
 */
#include "fnn_internal.h"

#include <stdlib.h>

#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#define FNN_HAVE_ATFORK 1
#endif

static int num_threads = 1;
static volatile int parallel_used = 0;
static volatile int fork_serial = 0;
/* Kernel calls of this thread that requested more than one thread. */
static _Thread_local unsigned long parallel_calls = 0;
/* Depth of nested fnn_serial_begin calls on this thread. */
static _Thread_local int serial_depth = 0;

#ifdef FNN_HAVE_ATFORK
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void on_fork_child(void)
{
    if (parallel_used)
        fork_serial = 1;
}

static void register_atfork(void)
{
    pthread_atfork(NULL, NULL, on_fork_child);
}
#endif

static void ensure_atfork(void)
{
#ifdef FNN_HAVE_ATFORK
    pthread_once(&atfork_once, register_atfork);
#endif
}

int fnn_has_openmp(void)
{
#ifdef _OPENMP
    return 1;
#else
    return 0;
#endif
}

void fnn_set_num_threads(int n)
{
    ensure_atfork();
    num_threads = n < 1 ? 1 : n;
}

int fnn_get_num_threads(void)
{
#ifdef _OPENMP
    return num_threads;
#else
    return 1; /* a serial build runs every kernel on the calling thread */
#endif
}

int fnn_fork_serial(void)
{
    return fork_serial;
}

void fnn_serial_begin(void)
{
    serial_depth++;
}

void fnn_serial_end(void)
{
    serial_depth--;
}

unsigned long fnn_parallel_calls(void)
{
    return parallel_calls;
}

int fnn_threads_for(double flops)
{
#ifdef _OPENMP
    if (fork_serial || serial_depth > 0 || num_threads <= 1 || flops < FNN_PARALLEL_MIN_FLOPS)
        return 1;
    double by_size = flops / FNN_PARALLEL_MIN_FLOPS;
    return by_size < num_threads ? (int)by_size : num_threads;
#else
    (void)flops;
    return 1;
#endif
}

void fnn_note_parallel(int nthreads)
{
    if (nthreads <= 1)
        return;
    parallel_calls++;
    if (!parallel_used) {
        ensure_atfork();
        parallel_used = 1;
    }
}

#ifdef FNN_HAVE_ATFORK
typedef struct {
    void *ptr[FNN_SCRATCH_SLOTS];
    size_t size[FNN_SCRATCH_SLOTS];
} scratch_set;

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static int scratch_key_ok = 0;

static void free_scratch_set(void *p)
{
    scratch_set *set = p;
    for (int i = 0; i < FNN_SCRATCH_SLOTS; i++)
        fnn_aligned_free(set->ptr[i]);
    free(set);
}

static void make_scratch_key(void)
{
    scratch_key_ok = pthread_key_create(&scratch_key, free_scratch_set) == 0;
}

void *fnn_scratch(int slot, size_t bytes)
{
    pthread_once(&scratch_once, make_scratch_key);
    if (!scratch_key_ok)
        return NULL;
    scratch_set *set = pthread_getspecific(scratch_key);
    if (!set) {
        set = calloc(1, sizeof(*set));
        if (!set || pthread_setspecific(scratch_key, set) != 0) {
            free(set);
            return NULL;
        }
    }
    if (set->size[slot] < bytes) {
        fnn_aligned_free(set->ptr[slot]);
        set->ptr[slot] = fnn_aligned_alloc(bytes);
        set->size[slot] = set->ptr[slot] ? bytes : 0;
    }
    return set->ptr[slot];
}
#else
/* NOTE: without POSIX threads there is no per-thread storage here, so GEMM
 * and prediction see NULL and take their slow unpacked paths. fastnn
 * targets Linux and macOS, which both have POSIX threads. */
void *fnn_scratch(int slot, size_t bytes)
{
    (void)slot;
    (void)bytes;
    return NULL;
}
#endif

void *fnn_aligned_alloc(size_t bytes)
{
    void *p = NULL;
    if (bytes == 0)
        bytes = FNN_ALIGN;
#if defined(_WIN32)
    p = _aligned_malloc(bytes, FNN_ALIGN);
#else
    if (posix_memalign(&p, FNN_ALIGN, bytes) != 0)
        p = NULL;
#endif
    return p;
}

void fnn_aligned_free(void *p)
{
#if defined(_WIN32)
    _aligned_free(p);
#else
    free(p);
#endif
}
