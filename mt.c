#include <magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
int main(int c, char **v) {
    FILE *f = fopen(v[1], "rb"); static char buf[1<<20]; size_t n = fread(buf,1,sizeof buf,f);
    size_t cap = (size_t)atol(v[2]); if (n > cap) n = cap;
    magic_t m = magic_open(MAGIC_MIME_TYPE|MAGIC_ERROR|MAGIC_NO_CHECK_COMPRESS|MAGIC_NO_CHECK_JSON|MAGIC_NO_CHECK_CSV|MAGIC_NO_CHECK_TOKENS);
    magic_load(m, NULL);
    size_t bm = cap; magic_setparam(m, MAGIC_PARAM_BYTES_MAX, &bm);
    struct timespec a,b; clock_gettime(CLOCK_MONOTONIC,&a);
    const char *r=0; for (int i=0;i<50;i++) r = magic_buffer(m, buf, n);
    clock_gettime(CLOCK_MONOTONIC,&b);
    printf("%s %zu bytes: %.3f ms\n", r, n, ((b.tv_sec-a.tv_sec)*1e3+(b.tv_nsec-a.tv_nsec)/1e6)/50);
}
