/* Which SIMD level the decoders may use: one answer for base64 and
 * quoted-printable, and for the tests that try every level. */
#include "scan/decode.h"

bool mg_decode_impl_supported(enum mg_decode_impl impl)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (impl == MG_DECODE_AVX2)
        return __builtin_cpu_supports("avx2");
    if (impl == MG_DECODE_SSE42)
        return __builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("ssse3");
#endif
    return impl == MG_DECODE_SCALAR;
}

enum mg_decode_impl mg_decode_best_impl(void)
{
    if (mg_decode_impl_supported(MG_DECODE_AVX2))
        return MG_DECODE_AVX2;
    if (mg_decode_impl_supported(MG_DECODE_SSE42))
        return MG_DECODE_SSE42;
    return MG_DECODE_SCALAR;
}
