/* Labels that are not ours go through glibc iconv, with the same error
 * accounting as our decoders: an illegal sequence is counted, written as
 * U+FFFD, and decoding resumes one byte later. JIS X 0212 (eucJP-ms G3, and
 * ISO-2022-JP's ESC $ ( D) also comes from glibc's EUC-JP-MS, one character
 * at a time: it is rare and glibc's table for it is right. */
#include "scan/charset_priv.h"

#include <errno.h>
#include <iconv.h>

#include "core/utf8.h"

static const iconv_t bad_cd = (iconv_t)-1;

/* Only plain charset names reach iconv_open: a label is sender-controlled,
 * and glibc reads suffixes such as "//IGNORE" that would hide errors. */
static bool plain_label(const char *label)
{
    size_t n = 0;
    for (const char *c = label; *c != '\0'; c++, n++) {
        bool ok = (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
                  (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' || *c == '.' ||
                  *c == ':' || *c == '+';
        if (!ok || n >= 40)
            return false;
    }
    return n > 0;
}

bool mg_decode_iconv(struct mg_dec *d, const char *label, const uint8_t *p, size_t len)
{
    if (!plain_label(label))
        return false;
    iconv_t cd = iconv_open("UTF-8", label);
    if (cd == bad_cd)
        return false;
    char *in = (char *)(uintptr_t)p;
    size_t inleft = len;
    char chunk[4096];
    while (inleft > 0 && !mg_buf_failed(d->out)) {
        char *o = chunk;
        size_t oleft = sizeof chunk;
        size_t r = iconv(cd, &in, &inleft, &o, &oleft);
        int e = errno;
        mg_buf_append(d->out, chunk, sizeof chunk - oleft);
        if (r != (size_t)-1)
            continue;
        if (e == E2BIG)
            continue;
        size_t off = len - inleft;
        if (e == EINVAL) {              /* truncated at the end */
            mg_dec_err(d, off);
            break;
        }
        mg_dec_err(d, off);             /* EILSEQ (or anything else) */
        in++;
        inleft--;
    }
    /* Flush a stateful decoder's pending output. */
    char *o = chunk;
    size_t oleft = sizeof chunk;
    if (iconv(cd, NULL, NULL, &o, &oleft) != (size_t)-1)
        mg_buf_append(d->out, chunk, sizeof chunk - oleft);
    iconv_close(cd);
    return true;
}

uint32_t mg_dec_g3(struct mg_dec *d, uint8_t b1, uint8_t b2)
{
    if (d->g3 == NULL) {
        iconv_t cd = iconv_open("UTF-8", "EUC-JP-MS");
        if (cd == bad_cd)
            return 0;
        d->g3 = (void *)cd;
    }
    iconv_t cd = (iconv_t)d->g3;
    iconv(cd, NULL, NULL, NULL, NULL);
    char src[3] = { (char)0x8F, (char)b1, (char)b2 };
    char dst[8];
    char *in = src, *o = dst;
    size_t inleft = 3, oleft = sizeof dst;
    if (iconv(cd, &in, &inleft, &o, &oleft) == (size_t)-1 || inleft != 0)
        return 0;
    uint32_t cp;
    size_t n = sizeof dst - oleft;
    if (mg_utf8_decode((const uint8_t *)dst, n, &cp) != n)
        return 0;
    return cp;
}

void mg_dec_close(struct mg_dec *d)
{
    if (d->g3 != NULL)
        iconv_close((iconv_t)d->g3);
    d->g3 = NULL;
}
