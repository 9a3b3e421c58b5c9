/* Charset labels, detection and the decoding entry point. Labels are mapped
 * to families (see charset.h); the Japanese families and UTF-8 use our own
 * decoders, anything else goes to glibc iconv by its label. */
#include "scan/charset.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/utf8.h"
#include "scan/charset_priv.h"

struct label_row {
    const char *label;
    enum mg_charset cs;
};

/* Lower-case, as compared after trimming. */
static const struct label_row labels[] = {
    { "us-ascii", MG_CS_ASCII }, { "ascii", MG_CS_ASCII },
    { "ansi_x3.4-1968", MG_CS_ASCII }, { "iso646-us", MG_CS_ASCII },
    { "csascii", MG_CS_ASCII }, { "us", MG_CS_ASCII },
    { "utf-8", MG_CS_UTF8 }, { "utf8", MG_CS_UTF8 },
    { "unicode-1-1-utf-8", MG_CS_UTF8 }, { "x-unicode20utf8", MG_CS_UTF8 },
    { "iso-2022-jp", MG_CS_ISO2022JP }, { "csiso2022jp", MG_CS_ISO2022JP },
    { "iso2022jp", MG_CS_ISO2022JP }, { "iso-2022-jp-ms", MG_CS_ISO2022JP },
    { "cp50220", MG_CS_ISO2022JP }, { "cp50221", MG_CS_ISO2022JP },
    { "cp50222", MG_CS_ISO2022JP }, { "jis", MG_CS_ISO2022JP },
    { "shift_jis", MG_CS_CP932 }, { "shift-jis", MG_CS_CP932 },
    { "sjis", MG_CS_CP932 }, { "x-sjis", MG_CS_CP932 },
    { "ms_kanji", MG_CS_CP932 }, { "csshiftjis", MG_CS_CP932 },
    { "windows-31j", MG_CS_CP932 }, { "cp932", MG_CS_CP932 },
    { "ms932", MG_CS_CP932 }, { "x-ms-cp932", MG_CS_CP932 },
    { "ibm-943", MG_CS_CP932 }, { "ibm943", MG_CS_CP932 },
    { "sjis-open", MG_CS_CP932 }, { "sjis-win", MG_CS_CP932 },
    { "euc-jp", MG_CS_EUCJP }, { "eucjp", MG_CS_EUCJP },
    { "x-euc-jp", MG_CS_EUCJP }, { "x-euc", MG_CS_EUCJP },
    { "cseucpkdfmtjapanese", MG_CS_EUCJP }, { "euc-jp-ms", MG_CS_EUCJP },
    { "eucjp-ms", MG_CS_EUCJP }, { "eucjp-open", MG_CS_EUCJP },
    { "eucjp-win", MG_CS_EUCJP },
};

enum mg_charset mg_charset_from_label(const char *label)
{
    if (label == NULL)
        return MG_CS_UNKNOWN;
    while (*label == ' ' || *label == '\t' || *label == '"')
        label++;
    size_t n = strlen(label);
    while (n > 0 && (label[n - 1] == ' ' || label[n - 1] == '\t' || label[n - 1] == '"'))
        n--;
    if (n == 0)
        return MG_CS_UNKNOWN;
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++) {
        if (strlen(labels[i].label) == n && strncasecmp(labels[i].label, label, n) == 0)
            return labels[i].cs;
    }
    return MG_CS_OTHER;
}

const char *mg_charset_name(enum mg_charset cs)
{
    switch (cs) {
    case MG_CS_ASCII: return "US-ASCII";
    case MG_CS_UTF8: return "UTF-8";
    case MG_CS_ISO2022JP: return "ISO-2022-JP";
    case MG_CS_CP932: return "CP932";
    case MG_CS_EUCJP: return "EUC-JP";
    case MG_CS_OTHER: return "other";
    case MG_CS_UNKNOWN: break;
    }
    return "unknown";
}

/* Is p[0] == ESC the start of one of the ISO-2022-JP designations? */
static bool jis_escape(const uint8_t *p, size_t len)
{
    static const char *const seqs[] = { "$B", "$@", "(B", "(J", "(I", "$(D" };
    for (size_t k = 0; k < sizeof seqs / sizeof seqs[0]; k++) {
        size_t n = strlen(seqs[k]);
        if (len > n && memcmp(p + 1, seqs[k], n) == 0)
            return true;
    }
    return false;
}

/* Plausibility of decoded Japanese text: kana and kanji score, half-width
 * katakana and the user-defined area are rare in real text, errors weigh
 * most. */
static long score_utf8(const struct mg_buf *b, size_t errors)
{
    long s = -100 * (long)(errors > 1000000 ? 1000000 : errors);
    size_t i = 0;
    while (i < b->len) {
        uint32_t cp;
        size_t n = mg_utf8_decode(b->data + i, b->len - i, &cp);
        if (n == 0) {
            i++;
            continue;
        }
        i += n;
        if (cp >= 0x3040 && cp <= 0x30FF)
            s += 2;
        else if ((cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3000 && cp <= 0x303F) ||
                 (cp >= 0xFF01 && cp <= 0xFF5E))
            s += 1;
        else if (cp >= 0xFF61 && cp <= 0xFF9F)
            s -= 1;
        else if (cp >= 0xE000 && cp <= 0xF8FF)
            s -= 5;
    }
    return s;
}

static long score_as(enum mg_charset cs, const uint8_t *p, size_t len)
{
    struct mg_buf b;
    struct mg_decode_result r = { 0 };
    struct mg_dec d = { .out = &b, .res = &r, .g3 = NULL };
    mg_buf_init(&b);
    if (cs == MG_CS_CP932)
        mg_decode_cp932(&d, p, len);
    else if (cs == MG_CS_EUCJP)
        mg_decode_eucjp(&d, p, len);
    else
        mg_decode_utf8(&d, p, len);
    mg_dec_close(&d);
    long s = score_utf8(&b, r.errors);
    mg_buf_free(&b);
    return s;
}

enum mg_charset mg_charset_detect(const uint8_t *p, size_t len)
{
    bool high = false, esc = false;
    for (size_t i = 0; i < len; i++) {
        if (p[i] >= 0x80)
            high = true;
        else if (p[i] == 0x1B && !esc && jis_escape(p + i, len - i))
            esc = true;
        if (high && esc)
            break;
    }
    if (esc)
        return MG_CS_ISO2022JP;
    if (!high)
        return MG_CS_ASCII;
    if (mg_utf8_valid(p, len))
        return MG_CS_UTF8;
    /* Scoring the first 64 KiB is enough to tell them apart. UTF-8 with a
     * few bad bytes competes too, so that its errors are reported where
     * they are rather than as a CP932 misreading of the whole text. */
    size_t n = len < 65536 ? len : 65536;
    long cp932 = score_as(MG_CS_CP932, p, n);
    long euc = score_as(MG_CS_EUCJP, p, n);
    long utf8 = score_as(MG_CS_UTF8, p, n);
    if (utf8 > cp932 && utf8 > euc)
        return MG_CS_UTF8;
    return euc > cp932 ? MG_CS_EUCJP : MG_CS_CP932;
}

static void decode_family(struct mg_dec *d, enum mg_charset cs, const uint8_t *p, size_t len)
{
    switch (cs) {
    case MG_CS_ASCII: mg_decode_ascii(d, p, len); break;
    case MG_CS_ISO2022JP: mg_decode_iso2022jp(d, p, len); break;
    case MG_CS_CP932: mg_decode_cp932(d, p, len); break;
    case MG_CS_EUCJP: mg_decode_eucjp(d, p, len); break;
    case MG_CS_UTF8:
    case MG_CS_OTHER:
    case MG_CS_UNKNOWN:
        mg_decode_utf8(d, p, len);
        break;
    }
}

bool mg_charset_to_utf8(const char *label, const uint8_t *p, size_t len,
                        struct mg_buf *out, struct mg_decode_result *res)
{
    memset(res, 0, sizeof *res);
    if (len == 0) {                 /* p may be NULL */
        res->charset = label != NULL && *label != '\0' ? mg_charset_from_label(label)
                                                      : MG_CS_ASCII;
        return !mg_buf_failed(out);
    }
    struct mg_dec d = { .out = out, .res = res, .g3 = NULL };
    enum mg_charset cs = mg_charset_from_label(label);
    if (cs == MG_CS_OTHER) {
        if (mg_decode_iconv(&d, label, p, len)) {
            res->charset = MG_CS_OTHER;
            return !mg_buf_failed(out);
        }
        cs = MG_CS_UNKNOWN;             /* a label nobody knows: look at the bytes */
    }
    if (cs == MG_CS_UNKNOWN && len >= 2 &&
        ((p[0] == 0xFF && p[1] == 0xFE) || (p[0] == 0xFE && p[1] == 0xFF))) {
        if (mg_decode_iconv(&d, "UTF-16", p, len)) {   /* the BOM says which */
            res->charset = MG_CS_OTHER;
            return !mg_buf_failed(out);
        }
    }
    if (cs == MG_CS_UNKNOWN)
        cs = mg_charset_detect(p, len);
    res->charset = cs;
    decode_family(&d, cs, p, len);
    mg_dec_close(&d);
    return !mg_buf_failed(out);
}
