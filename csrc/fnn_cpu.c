/* CPU feature detection and the choice of kernels (runtime dispatch). */
#include "fnn_internal.h"

#include <stdlib.h>

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define FNN_X86 1
#include <cpuid.h>

/* Register state the OS saves on a context switch (XCR0). */
static unsigned long long read_xcr0(void)
{
    unsigned int eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}
#endif

fnn_isa fnn_isa_detect(void)
{
#ifdef FNN_X86
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx))
        return FNN_ISA_SCALAR;
    int has_fma = (ecx >> 12) & 1, has_osxsave = (ecx >> 27) & 1, has_avx = (ecx >> 28) & 1;
    if (!(has_fma && has_osxsave && has_avx))
        return FNN_ISA_SCALAR;

    /* The OS must save XMM and YMM state (bits 1, 2) for AVX2 and also the
     * opmask and upper ZMM state (bits 5, 6, 7) for AVX-512. */
    unsigned long long xcr0 = read_xcr0();
    if ((xcr0 & 0x6) != 0x6)
        return FNN_ISA_SCALAR;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx))
        return FNN_ISA_SCALAR;
    int has_avx2 = (ebx >> 5) & 1;
    int has_avx512 = ((ebx >> 16) & 1) && ((ebx >> 17) & 1)   /* F, DQ */
                     && ((ebx >> 30) & 1) && ((ebx >> 31) & 1); /* BW, VL */
    if (has_avx512 && (xcr0 & 0xE6) == 0xE6 && fnn_isa_compiled(FNN_ISA_AVX512))
        return FNN_ISA_AVX512;
    if (has_avx2 && fnn_isa_compiled(FNN_ISA_AVX2))
        return FNN_ISA_AVX2;
#endif
    return FNN_ISA_SCALAR;
}

int fnn_isa_compiled(fnn_isa isa)
{
    switch (isa) {
    case FNN_ISA_SCALAR:
        return 1;
#if defined(FNN_HAVE_AVX2)
    case FNN_ISA_AVX2:
        return 1;
#endif
#if defined(FNN_HAVE_AVX512)
    case FNN_ISA_AVX512:
        return 1;
#endif
    default:
        return 0;
    }
}

const char *fnn_isa_name(fnn_isa isa)
{
    switch (isa) {
    case FNN_ISA_AVX2:
        return "avx2";
    case FNN_ISA_AVX512:
        return "avx512";
    default:
        return "scalar";
    }
}

/* -1 until the first use; then the ISA whose kernels are active. */
static int active_isa = -1;

static const fnn_kernel_table *table_of(fnn_isa isa)
{
    switch (isa) {
#if defined(FNN_HAVE_AVX512)
    case FNN_ISA_AVX512:
        return &fnn_kernels_avx512;
#endif
#if defined(FNN_HAVE_AVX2)
    case FNN_ISA_AVX2:
        return &fnn_kernels_avx2;
#endif
    default:
        return &fnn_kernels_scalar;
    }
}

fnn_status fnn_isa_select(fnn_isa isa)
{
    /* Only an ISA no better than the detected one is safe to run. */
    if ((int)isa < 0 || isa > fnn_isa_detect() || !fnn_isa_compiled(isa))
        return FNN_EINVAL;
    active_isa = (int)isa;
    return FNN_OK;
}

fnn_isa fnn_isa_active(void)
{
    if (active_isa < 0)
        active_isa = (int)fnn_isa_detect();
    return (fnn_isa)active_isa;
}

const fnn_kernel_table *fnn_kernels(void)
{
    return table_of(fnn_isa_active());
}
