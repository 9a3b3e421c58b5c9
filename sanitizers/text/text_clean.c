/* The text sanitizer's pure part (text.h): no engine calls here, so the
 * mail and html sanitizers and the unit tests can use it directly. */
#include "sanitizers/text/text.h"

#include <string.h>

#include "core/utf8.h"

static bool strip_cp(uint32_t cp)
{
    if (cp < 0x20)
        return cp != '\t' && cp != '\n' && cp != '\f' && cp != '\r';
    if (cp >= 0x7F && cp <= 0x9F)
        return true;
    return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

size_t mg_text_strip_controls(const uint8_t *p, size_t len, struct mg_buf *out)
{
    size_t n = 0, run = 0, i = 0;
    if (len == 0)
        return 0;                   /* p may be NULL (an empty buffer) */
    while (i < len) {
        uint32_t cp;
        size_t k = mg_utf8_decode(p + i, len - i, &cp);
        if (k == 0) {               /* not for us to judge: caller validated */
            i++;
            continue;
        }
        if (strip_cp(cp)) {
            mg_buf_append(out, p + run, i - run);
            run = i + k;
            n++;
        }
        i += k;
    }
    mg_buf_append(out, p + run, len - run);
    return n;
}

/* The family name, or for iconv the label (or "UTF-16" when a BOM chose it). */
static const char *charset_name(const char *label, const uint8_t *p, size_t len,
                                enum mg_charset cs)
{
    if (cs != MG_CS_OTHER)
        return mg_charset_name(cs);
    if (mg_charset_from_label(label) == MG_CS_OTHER)
        return label;
    if (len >= 2 && ((p[0] == 0xFF && p[1] == 0xFE) || (p[0] == 0xFE && p[1] == 0xFF)))
        return "UTF-16";
    return mg_charset_name(cs);
}

bool mg_text_clean(const char *label, const uint8_t *p, size_t len,
                   const struct mg_text_opts *o, struct mg_buf *out,
                   struct mg_text_stats *st)
{
    memset(st, 0, sizeof *st);
    size_t limit = o->max_out;
    struct mg_buf dec, stripped;
    mg_buf_init(&dec);
    mg_buf_init(&stripped);
    mg_buf_set_limit(&dec, limit);
    mg_buf_set_limit(&stripped, limit);
    bool ok = false;

    st->charset = "unknown";
    if (!mg_charset_to_utf8(label, p, len, &dec, &st->dec))
        goto done;
    st->charset = charset_name(label, p, len, st->dec.charset);
    const uint8_t *d = dec.data;
    size_t dlen = dec.len;
    if (dlen >= 3 && memcmp(d, "\xEF\xBB\xBF", 3) == 0) {
        st->bom = true;
        d += 3;
        dlen -= 3;
    }
    st->controls = mg_text_strip_controls(d, dlen, &stripped);
    if (mg_buf_failed(&stripped) || mg_buf_failed(&dec))
        goto done;
    mg_buf_free(&dec);              /* at most two copies alive at a time */
    size_t before = out->len;
    if (!mg_urls_rewrite(stripped.data, stripped.len, o->urls, o->url_removed, out, &st->urls))
        goto done;
    size_t olen = out->len - before;
    st->changed = olen != len || (len > 0 && memcmp(out->data + before, p, len) != 0);
    ok = true;
done:
    st->over_limit = limit != 0 && (mg_buf_failed(&dec) || mg_buf_failed(&stripped) ||
                                    mg_buf_failed(out));
    /* mg_buf_free resets dec, so a freed buffer does not read as failed. */
    mg_buf_free(&dec);
    mg_buf_free(&stripped);
    return ok && !st->over_limit;
}
