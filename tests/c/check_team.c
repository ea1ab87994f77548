/*
 * Checks the thread pool of csrc/fnn_team.c without Python. The file is
 * compiled into this program, so the checks can set the pool's job count.
 * Each job writes a value per thread and stage, and every thread checks
 * after each barrier that all threads wrote theirs. Prints
 * "team: N passed, N failed", or "team: no pool" for a build without one.
 */
#include "fnn_team.c"

#include <stdio.h>
#include <string.h>

/* fnn_threads.c is not linked: no fork happens here. */
int fnn_fork_serial(void)
{
    return 0;
}

#define STAGES 4
#define MAX_TEAM 4

typedef struct {
    _Atomic long mark[STAGES][MAX_TEAM];
    _Atomic long errors;
    long tag;
} stage_job;

static void run_stages(void *arg, int t, int team)
{
    stage_job *j = arg;
    for (int s = 0; s < STAGES; s++) {
        /* the last thread comes late, so a barrier that does not wait
         * lets the others read its old mark */
        if (t == team - 1)
            for (volatile int i = 0; i < 2000; i++)
                ;
        atomic_store(&j->mark[s][t], j->tag * STAGES + s);
        fnn_team_barrier(t, team);
        for (int u = 0; u < team; u++)
            if (atomic_load(&j->mark[s][u]) != j->tag * STAGES + s)
                atomic_fetch_add(&j->errors, 1);
    }
}

/* Runs `jobs` jobs on teams of `team`; returns the number of barrier
 * errors. */
static long run_jobs(long jobs, int team)
{
    long errors = 0;
    for (long i = 0; i < jobs; i++) {
        stage_job j;
        memset(&j, 0, sizeof(j));
        j.tag = i + 1;
        if (!fnn_team_run(team, run_stages, &j))
            return -1;
        errors += atomic_load(&j.errors);
    }
    return errors;
}

int main(void)
{
#ifdef FNN_HAVE_POOL
    int passed = 0, failed = 0;
    fnn_team_set_window(0);

    const long errors = run_jobs(5000, 2) + run_jobs(500, 3);
    printf("barriers in 5,500 jobs: %ld errors\n", errors);
    errors == 0 ? passed++ : failed++;

    /* As if 2^32 - 4 jobs had run: the epochs of the next jobs pass 2^64
     * and start again from 0. */
    pool.jobs = ((uint64_t)1 << 32) - 4;
    for (int t = 0; t <= POOL_MAX; t++) {
        atomic_store(&pool.epoch[t].value, pool.jobs * JOB_EPOCHS + STAGES);
        for (int r = 0; r < ROUNDS; r++)
            atomic_store(&pool.flag[t][r].value, pool.jobs * JOB_EPOCHS + STAGES);
    }
    const long wrapped = run_jobs(8, 2);
    printf("barriers in 8 jobs across the wrap of the epochs: %ld errors\n", wrapped);
    wrapped == 0 ? passed++ : failed++;

    printf("team: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
#else
    printf("team: no pool\n");
    return 0;
#endif
}
