/* The MIME walk: an explicit stack instead of recursion (depth capped by
 * [mail] max-nesting, part count by [limits] max-items). Each leaf is a
 * body (to text), a container handled here (signed, encrypted, related,
 * alternative), or an attachment handed to the engine with mg_job_child. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "engine/engine.h"
#include "scan/decode.h"
#include "sanitizers/mail/mail_hdr.h"
#include "sanitizers/mail/mail_priv.h"

enum {
    F_RELATED_RES = 1u << 0,   /* non-root part of multipart/related */
};

struct frame {
    GMimeObject *obj;
    unsigned depth;
    unsigned flags;
};

struct stack {
    struct frame *f;
    size_t n, cap;
};

static bool push(struct stack *s, GMimeObject *obj, unsigned depth, unsigned flags)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        struct frame *f = g_try_renew(struct frame, s->f, cap);
        if (f == NULL)
            return false;
        s->f = f;
        s->cap = cap;
    }
    s->f[s->n].obj = obj;
    s->f[s->n].depth = depth;
    s->f[s->n].flags = flags;
    s->n++;
    return true;
}

void mg_mail_whole_block(struct mg_mail_ctx *c, enum mg_reason r, const char *fmt, ...)
{
    if (c->whole_blocked || c->whole_tempfail)
        return;
    c->whole_blocked = true;
    c->whole_reason = r;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->whole_detail, sizeof(c->whole_detail), fmt, ap);
    va_end(ap);
}

void mg_mail_whole_tempfail(struct mg_mail_ctx *c, enum mg_reason r, const char *detail)
{
    if (c->whole_tempfail)
        return;
    c->whole_tempfail = true;
    c->whole_blocked = false;
    c->whole_reason = r;
    snprintf(c->whole_detail, sizeof(c->whole_detail), "%s", detail ? detail : "");
}

bool mg_mail_stopped(const struct mg_mail_ctx *c)
{
    return c->whole_blocked || c->whole_tempfail;
}

const char *mg_mail_raw_header(GMimeObject *obj, const char *name)
{
    GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
    if (hl == NULL)
        return NULL;
    GMimeHeader *h = g_mime_header_list_get_header(hl, name);
    return h ? g_mime_header_get_raw_value(h) : NULL;
}

/* A parameter of a raw header, decoded to UTF-8 (NULL if absent). */
static char *raw_param(struct mg_mail_ctx *c, GMimeObject *obj, const char *hname,
                       const char *pname)
{
    const char *raw = mg_mail_raw_header(obj, hname);
    if (raw == NULL)
        return NULL;
    struct mg_buf b;
    mg_buf_init(&b);
    size_t errors = 0;
    char *r = NULL;
    if (mg_mail_param_get(raw, strlen(raw), pname, &b, &errors)) {
        mg_mail_clean_text(&b, false);
        if (!mg_buf_failed(&b))
            r = g_strdup(mg_buf_cstr(&b));
        if (errors > 0)
            mg_item_actionf(c->in, MG_A_DECODE_ERRORS, "%zu", errors);
    }
    if (mg_buf_failed(&b))
        mg_mail_whole_tempfail(c, MG_R_RESOURCES, "memory");
    mg_buf_free(&b);
    return r;
}

/* The file name of a part: Content-Disposition filename, else the
 * Content-Type name; "" when neither. */
static char *part_name(struct mg_mail_ctx *c, GMimeObject *obj)
{
    char *n = raw_param(c, obj, "Content-Disposition", "filename");
    if (n == NULL || n[0] == '\0') {
        g_free(n);
        n = raw_param(c, obj, "Content-Type", "name");
    }
    return n ? g_strstrip(n) : g_strdup("");
}

static void lower(char *s)
{
    for (; *s; s++)
        *s = g_ascii_tolower(*s);
}

static bool is_type(GMimeObject *obj, const char *type, const char *sub)
{
    GMimeContentType *ct = g_mime_object_get_content_type(obj);
    return ct != NULL && g_mime_content_type_is_type(ct, type, sub);
}

static bool is_attachment(GMimeObject *obj)
{
    const char *d = g_mime_object_get_disposition(obj);
    return d != NULL && g_ascii_strcasecmp(d, "attachment") == 0;
}

/* What part_bytes produced besides the bytes: the indicator hits over them
 * when it scanned them while decoding (fused), and the scanner time. */
struct leaf_scan {
    bool done;
    struct mg_ind_hits hits;
    double seconds;
};

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One decoded block: into the spool, and through the indicator scanner while
 * it is still in cache (the engine then does not scan the leaf again). */
static bool put_block(struct mg_mail_ctx *c, struct mg_spool *sp, struct mg_ind_stream *ist,
                      struct leaf_scan *ls, const uint8_t *p, size_t n, bool *too_big)
{
    if (n == 0)
        return true;
    if (!mg_spool_write(sp, p, n)) {
        if (mg_spool_error(sp) == EFBIG)
            *too_big = true;
        else
            mg_mail_whole_tempfail(c, MG_R_RESOURCES, "spool");
        return false;
    }
    double t0 = mono();
    mg_ind_stream_feed(ist, p, n);
    ls->seconds += mono() - t0;
    return true;
}

/* Base64, quoted-printable and identity parts: our decoders, 4 KiB of input
 * at a time into a block that goes to the spool and the scanner (decoded
 * bytes are touched once while in cache; no gmime filter buffers). Base64
 * with anything but the alphabet, whitespace and proper padding is damaged
 * (gmime would skip it silently): *broken. */
static bool decode_fused(struct mg_mail_ctx *c, GMimeStream *raw, GMimeContentEncoding enc,
                         struct mg_spool *sp, struct leaf_scan *ls, bool *broken, bool *too_big)
{
    enum { IN = 4096 };
    static __thread uint8_t out[MG_QP_OUT_MAX(IN) > MG_B64_OUT_MAX(IN) ? MG_QP_OUT_MAX(IN)
                                                                       : MG_B64_OUT_MAX(IN)];
    char buf[65536];
    struct mg_b64 b64;
    struct mg_qp qp;
    mg_b64_init(&b64);
    mg_qp_init(&qp);
    bool is_b64 = enc == GMIME_CONTENT_ENCODING_BASE64;
    bool is_qp = enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE;
    struct mg_ind_stream *ist =
        mg_ind_stream_new(mg_engine_indicators(mg_job_engine(c->job)), &ls->hits);
    if (ist == NULL) {
        mg_mail_whole_tempfail(c, MG_R_RESOURCES, "memory");
        return false;
    }
    bool ok = true;
    for (;;) {
        ssize_t n = g_mime_stream_read(raw, buf, sizeof(buf));
        if (n < 0) {
            *broken = true;
            ok = false;
            break;
        }
        if (n == 0 && g_mime_stream_eos(raw))
            break;
        for (size_t o = 0; ok && o < (size_t)n; o += IN) {
            size_t m = (size_t)n - o < IN ? (size_t)n - o : IN;
            const uint8_t *in = (const uint8_t *)buf + o;
            if (is_b64)
                ok = put_block(c, sp, ist, ls, out, mg_b64_feed(&b64, in, m, out), too_big);
            else if (is_qp)
                ok = put_block(c, sp, ist, ls, out, mg_qp_feed(&qp, in, m, out), too_big);
            else
                ok = put_block(c, sp, ist, ls, in, m, too_big);
        }
        if (!ok)
            break;
        if (!mg_job_time_ok(c->job)) {
            mg_mail_whole_block(c, MG_R_LIMIT_TIME, "%s", "");
            ok = false;
            break;
        }
    }
    if (ok && is_b64)
        ok = put_block(c, sp, ist, ls, out, mg_b64_finish(&b64, out), too_big);
    else if (ok && is_qp)
        ok = put_block(c, sp, ist, ls, out, mg_qp_finish(&qp, out), too_big);
    mg_ind_stream_free(ist);
    if (ok && is_b64 && b64.invalid > 0) {
        *broken = true;
        ok = false;
    }
    ls->done = ok;
    return ok;
}

/* Other encodings (uuencode): gmime's filter. */
static bool decode_gmime(struct mg_mail_ctx *c, GMimeStream *raw, GMimeContentEncoding enc,
                         struct mg_spool *sp, bool *broken, bool *too_big)
{
    GMimeStream *f = g_mime_stream_filter_new(raw);
    GMimeFilter *dec = g_mime_filter_basic_new(enc, FALSE);
    g_mime_stream_filter_add(GMIME_STREAM_FILTER(f), dec);
    g_object_unref(dec);
    char buf[65536];
    bool ok = true;
    for (;;) {
        ssize_t n = g_mime_stream_read(f, buf, sizeof(buf));
        if (n < 0) {
            *broken = true;
            ok = false;
            break;
        }
        if (n == 0 && g_mime_stream_eos(f))
            break;
        if (n > 0 && !mg_spool_write(sp, buf, (size_t)n)) {
            ok = false;
            if (mg_spool_error(sp) == EFBIG)
                *too_big = true;
            else
                mg_mail_whole_tempfail(c, MG_R_RESOURCES, "spool");
            break;
        }
        if (!mg_job_time_ok(c->job)) {
            mg_mail_whole_block(c, MG_R_LIMIT_TIME, "%s", "");
            ok = false;
            break;
        }
    }
    g_object_unref(f);
    return ok;
}

/* Transfer-decoded bytes of a leaf, decoded chunk by chunk into a job
 * spool (memory up to the spool threshold, then an unlinked file), so the
 * engine can take them without another copy. Returns false on damage
 * (*broken), over the item size (*too_big) or failure. */
static bool part_bytes(struct mg_mail_ctx *c, GMimePart *part, const uint8_t **data, size_t *len,
                       struct leaf_scan *ls, bool *broken, bool *too_big)
{
    *broken = *too_big = false;
    *data = (const uint8_t *)"";
    *len = 0;
    ls->done = false;
    ls->seconds = 0;
    GMimeDataWrapper *w = g_mime_part_get_content(part);
    GMimeStream *raw = w ? g_mime_data_wrapper_get_stream(w) : NULL;
    if (raw == NULL)
        return true;
    GMimeContentEncoding enc = g_mime_data_wrapper_get_encoding(w);
    struct mg_spool *sp = mg_job_spool(c->job);
    if (sp == NULL || g_mime_stream_reset(raw) < 0) {
        mg_mail_whole_tempfail(c, MG_R_RESOURCES, "spool");
        return false;
    }
    bool ok = enc == GMIME_CONTENT_ENCODING_UUENCODE
                  ? decode_gmime(c, raw, enc, sp, broken, too_big)
                  : decode_fused(c, raw, enc, sp, ls, broken, too_big);
    if (!ok)
        return false;
    size_t n = 0;
    const uint8_t *v = mg_spool_view(sp, &n);
    if (v == NULL && n > 0) {
        mg_mail_whole_tempfail(c, MG_R_RESOURCES, "spool view");
        return false;
    }
    if (!mg_job_charge(c->job, n)) {
        mg_mail_whole_block(c, MG_R_LIMIT_SIZE, "%s",
                            mg_mail_tr(c, N_("the message exceeds the total size limit")));
        return false;
    }
    *data = v ? v : (const uint8_t *)"";
    *len = n;
    return true;
}

static void add_att(struct mg_mail_ctx *c, struct mg_item *it, bool is_message)
{
    if (it == NULL) {
        mg_mail_whole_tempfail(c, MG_R_RESOURCES, "child");
        return;
    }
    /* Job-wide limits are a verdict on the whole message: it is not relayed
     * in pieces. */
    if (it->verdict == MG_TEMPFAIL) {
        mg_mail_whole_tempfail(c, it->reason, it->reason_detail);
        return;
    }
    if (it->verdict == MG_BLOCKED &&
        (it->reason == MG_R_LIMIT_COUNT || it->reason == MG_R_LIMIT_TIME)) {
        mg_mail_whole_block(c, it->reason, "%s", it->reason_detail ? it->reason_detail : "");
        return;
    }
    if (c->n_atts == c->cap_atts) {
        size_t cap = c->cap_atts ? c->cap_atts * 2 : 8;
        struct mg_mail_att *a = g_try_renew(struct mg_mail_att, c->atts, cap);
        if (a == NULL) {
            mg_mail_whole_tempfail(c, MG_R_RESOURCES, "memory");
            return;
        }
        c->atts = a;
        c->cap_atts = cap;
    }
    c->atts[c->n_atts].it = it;
    c->atts[c->n_atts].is_message = is_message;
    c->n_atts++;
}

/* Hands bytes to the engine as a child item; copied into the job unless
 * they already live as long as it (owned: a job spool). */
static struct mg_item *dispatch(struct mg_mail_ctx *c, const char *name, const uint8_t *p,
                                size_t len, enum mg_type_class forced, bool owned,
                                const struct leaf_scan *ls)
{
    const uint8_t *kept = owned || len == 0 ? (len ? p : (const uint8_t *)"")
                                            : mg_job_keep(c->job, p, len);
    if (kept == NULL)
        return NULL;
    if (ls != NULL && ls->done)
        return mg_job_child_scanned(c->job, c->in, name, kept, len, forced, &ls->hits, ls->seconds);
    return mg_job_child_typed(c->job, c->in, name, kept, len, forced);
}

/* A part we refuse outright (encrypted, TNEF, fragment): it still becomes an
 * item so that the report and the notice name it. */
static void block_part(struct mg_mail_ctx *c, const char *name, const uint8_t *p, size_t len,
                       bool owned, enum mg_type_class forced, enum mg_reason r,
                       const char *detail)
{
    struct mg_item *it = dispatch(c, name, p, len, forced, owned, NULL);
    if (it != NULL && it->verdict != MG_TEMPFAIL && it->reason != MG_R_VIRUS)
        mg_item_block(it, r, detail);
    add_att(c, it, false);
}

void mg_mail_add_bytes(struct mg_mail_ctx *c, const char *name, const uint8_t *p, size_t len,
                       enum mg_reason block, const char *detail)
{
    if (block == MG_R_NONE)
        add_att(c, dispatch(c, name, p, len, MG_TC_UNKNOWN, false, NULL), false);
    else
        block_part(c, name, p, len, false, MG_TC_UNKNOWN, block, detail);
}

static void block_object(struct mg_mail_ctx *c, GMimeObject *obj, const char *name,
                         enum mg_reason r, const char *detail)
{
    char *s = g_mime_object_to_string(obj, NULL);
    size_t len = s ? strlen(s) : 0;
    block_part(c, name, (const uint8_t *)(s ? s : ""), len, false, MG_TC_ENCRYPTED, r, detail);
    g_free(s);
}

static bool is_winmail(GMimeObject *obj, const char *name)
{
    return is_type(obj, "application", "ms-tnef") ||
           is_type(obj, "application", "vnd.ms-tnef") ||
           g_ascii_strcasecmp(name, "winmail.dat") == 0;
}

/* Bodies, and the resources of an HTML body that are dropped, are not
 * items, so the engine's antivirus pass over items does not see them, and
 * libclamav does not unpack the mail itself (the engine turns its mail
 * parser off because every attachment is an item): their decoded bytes
 * are scanned here. A hit blocks the whole message, as libclamav's own
 * verdict on the message did. */
static bool inline_virus(struct mg_mail_ctx *c, const uint8_t *p, size_t len)
{
    char sig[256];
    if (!mg_job_av_found(c->job, c->in, p, len, sig, sizeof(sig)))
        return false;
    mg_mail_whole_block(c, MG_R_VIRUS, "%s", sig);
    return true;
}

static void leaf(struct mg_mail_ctx *c, GMimeObject *obj, unsigned flags)
{
    GMimeContentType *ct = g_mime_object_get_content_type(obj);
    const char *mt = ct ? g_mime_content_type_get_media_type(ct) : "application";
    const char *st = ct ? g_mime_content_type_get_media_subtype(ct) : "octet-stream";
    char *name = part_name(c, obj);
    char desc[160];
    snprintf(desc, sizeof(desc), "%s%s%s/%s", name, name[0] ? " " : "", mt ? mt : "?",
             st ? st : "?");
    if (strlen(name) < strlen(desc))
        lower(desc + strlen(name));
    /* Disposition attachment, or a named part with any disposition (Apple
     * Mail sends attachments "inline; filename=..."). */
    bool attach = is_attachment(obj) ||
                  (name[0] != '\0' && g_mime_object_get_disposition(obj) != NULL);
    bool broken = false, too_big = false;
    const uint8_t *bd = NULL;
    size_t bl = 0;

    if (is_type(obj, "message", "external-body")) {
        /* A pointer to content elsewhere: nothing to sanitize, nothing kept. */
        mg_item_action(c->in, MG_A_PART_REMOVED, desc);
        c->n_removed++;
        goto out;
    }
    if (is_type(obj, "application", "pkcs7-signature") ||
        is_type(obj, "application", "x-pkcs7-signature") ||
        is_type(obj, "application", "pgp-signature")) {
        mg_item_action(c->in, MG_A_SIGNATURE_REMOVED, desc);
        c->n_removed++;
        goto out;
    }
    if (!GMIME_IS_PART(obj)) {
        mg_item_action(c->in, MG_A_PART_REMOVED, desc);
        c->n_removed++;
        goto out;
    }
    struct leaf_scan ls;
    if (!part_bytes(c, GMIME_PART(obj), &bd, &bl, &ls, &broken, &too_big)) {
        if (broken) {
            const char *why = mg_mail_tr(c, N_("damaged transfer encoding"));
            block_part(c, name, NULL, 0, false, MG_TC_UNKNOWN, MG_R_MALFORMED, why);
        } else if (too_big) {
            block_part(c, name, NULL, 0, false, MG_TC_UNKNOWN, MG_R_LIMIT_SIZE, desc);
        }
        goto out;
    }
    if (GMIME_IS_APPLICATION_PKCS7_MIME(obj)) {
        GMimeSecureMimeType t =
            g_mime_application_pkcs7_mime_get_smime_type(GMIME_APPLICATION_PKCS7_MIME(obj));
        if (t != GMIME_SECURE_MIME_TYPE_SIGNED_DATA && t != GMIME_SECURE_MIME_TYPE_CERTS_ONLY) {
            block_part(c, name, bd, bl, true, MG_TC_ENCRYPTED, MG_R_ENCRYPTED,
                       "S/MIME (application/pkcs7-mime)");
            goto out;
        }
    }
    if (is_type(obj, "application", "pgp-encrypted") ||
        is_type(obj, "application", "x-pkcs7-mime")) {
        block_part(c, name, bd, bl, true, MG_TC_ENCRYPTED, MG_R_ENCRYPTED, desc);
        goto out;
    }
    if (is_winmail(obj, name)) {
        block_part(c, name[0] ? name : "winmail.dat", bd, bl, true, MG_TC_UNKNOWN,
                   MG_R_NO_SANITIZER,
                   mg_mail_tr(c, N_("Outlook TNEF (winmail.dat) is not unpacked by mugai")));
        goto out;
    }
    if (is_type(obj, "message", "partial")) {
        block_part(c, name, bd, bl, true, MG_TC_UNKNOWN, MG_R_MALFORMED,
                   mg_mail_tr(c, N_("a fragment of a message (message/partial)")));
        goto out;
    }
    if (is_type(obj, "message", "rfc822") || is_type(obj, "message", "global")) {
        add_att(c, dispatch(c, name, bd, bl, MG_TC_MAIL, true, &ls), true);
        goto out;
    }
    if ((flags & F_RELATED_RES) && !attach) {
        /* Resources of an HTML body (cid: images, style sheets): dropped. */
        if (inline_virus(c, bd, bl))
            goto out;
        const char *cid = g_mime_object_get_content_id(obj);
        char d2[200];
        snprintf(d2, sizeof(d2), "%s%s%s", desc, cid ? " cid:" : "", cid ? cid : "");
        mg_item_action(c->in, is_type(obj, "image", "*") ? MG_A_IMAGE_REMOVED : MG_A_PART_REMOVED,
                       d2);
        c->n_removed++;
        goto out;
    }
    if (!attach && is_type(obj, "text", "plain")) {
        const char *cs = ct ? g_mime_content_type_get_parameter(ct, "charset") : NULL;
        static const char pgp[] = "-----BEGIN PGP MESSAGE-----";
        if (bl >= sizeof(pgp) - 1 && bl <= G_MAXSSIZE &&
            g_strstr_len((const char *)bd, (gssize)bl, pgp) != NULL) {
            block_part(c, name[0] ? name : "message.asc", bd, bl, true, MG_TC_ENCRYPTED,
                       MG_R_ENCRYPTED, "PGP (inline)");
            goto out;
        }
        if (!inline_virus(c, bd, bl))
            mg_mail_body_text(c, bd, bl, cs);
        goto out;
    }
    if (!attach && is_type(obj, "text", "html")) {
        const char *cs = ct ? g_mime_content_type_get_parameter(ct, "charset") : NULL;
        if (!inline_virus(c, bd, bl))
            mg_mail_body_html(c, bd, bl, cs);
        goto out;
    }
    if (!attach && is_type(obj, "image", "*") && g_mime_object_get_content_id(obj) != NULL &&
        name[0] == '\0') {
        if (inline_virus(c, bd, bl))
            goto out;
        const char *cid = g_mime_object_get_content_id(obj);
        char d2[200];
        snprintf(d2, sizeof(d2), "%s cid:%s", desc, cid);
        mg_item_action(c->in, MG_A_IMAGE_REMOVED, d2);
        c->n_removed++;
        goto out;
    }
    add_att(c, dispatch(c, name, bd, bl, MG_TC_UNKNOWN, true, &ls), false);
out:
    g_free(name);
}

/* Index of the child of an alternative to use as the body, or -1. */
static int pick_alternative(struct mg_mail_ctx *c, GMimeMultipart *mp)
{
    int n = g_mime_multipart_get_count(mp);
    int plain = -1, rich = -1;
    for (int i = 0; i < n; i++) {
        GMimeObject *ch = g_mime_multipart_get_part(mp, i);
        if (plain < 0 && is_type(ch, "text", "plain"))
            plain = i;
        else if (is_type(ch, "text", "html") || is_type(ch, "multipart", "*"))
            rich = i;   /* the last rich version is the preferred one */
    }
    if (plain >= 0 && (c->conf.prefer_plain || rich < 0))
        return plain;
    if (rich >= 0)
        return rich;
    return n > 0 ? n - 1 : -1;
}

static void note_dropped_alternatives(struct mg_mail_ctx *c, GMimeMultipart *mp, int keep)
{
    int n = g_mime_multipart_get_count(mp);
    for (int i = 0; i < n; i++) {
        if (i == keep)
            continue;
        GMimeObject *ch = g_mime_multipart_get_part(mp, i);
        GMimeContentType *ct = g_mime_object_get_content_type(ch);
        char *mime = ct ? g_mime_content_type_get_mime_type(ct) : g_strdup("?");
        lower(mime);
        char d[160];
        snprintf(d, sizeof(d), "%s (%s)", mime, mg_mail_tr(c, N_("alternative version")));
        mg_item_action(c->in, MG_A_PART_REMOVED, d);
        g_free(mime);
        c->n_parts++;
    }
}

static void container(struct mg_mail_ctx *c, struct stack *s, GMimeMultipart *mp,
                      unsigned depth)
{
    GMimeObject *obj = GMIME_OBJECT(mp);
    int n = g_mime_multipart_get_count(mp);
    bool ok = true;
    if (GMIME_IS_MULTIPART_ENCRYPTED(mp) || is_type(obj, "multipart", "encrypted")) {
        block_object(c, obj, "encrypted.eml", MG_R_ENCRYPTED, "multipart/encrypted");
        return;
    }
    if (GMIME_IS_MULTIPART_SIGNED(mp) || is_type(obj, "multipart", "signed")) {
        GMimeContentType *ct = g_mime_object_get_content_type(obj);
        const char *proto = ct ? g_mime_content_type_get_parameter(ct, "protocol") : NULL;
        mg_item_action(c->in, MG_A_SIGNATURE_REMOVED, proto ? proto : "multipart/signed");
        if (n > 1)
            c->n_parts++;
        if (n > 0)
            ok = push(s, g_mime_multipart_get_part(mp, 0), depth + 1, 0);
    } else if (is_type(obj, "multipart", "alternative")) {
        int k = pick_alternative(c, mp);
        note_dropped_alternatives(c, mp, k);
        if (k >= 0)
            ok = push(s, g_mime_multipart_get_part(mp, k), depth + 1, 0);
    } else if (is_type(obj, "multipart", "related")) {
        /* The root (start= or the first part) is the body; the rest are its
         * resources. Pushed in reverse so the root is walked first. */
        GMimeContentType *ct = g_mime_object_get_content_type(obj);
        const char *start = ct ? g_mime_content_type_get_parameter(ct, "start") : NULL;
        int root = 0;
        for (int i = 0; start != NULL && i < n; i++) {
            const char *cid = g_mime_object_get_content_id(g_mime_multipart_get_part(mp, i));
            size_t sl = strlen(start);
            if (cid != NULL && sl >= 2 && start[0] == '<' && strlen(cid) == sl - 2 &&
                strncmp(start + 1, cid, sl - 2) == 0)
                root = i;
        }
        for (int i = n - 1; ok && i >= 0; i--) {
            if (i != root)
                ok = push(s, g_mime_multipart_get_part(mp, i), depth + 1, F_RELATED_RES);
        }
        if (ok && n > 0)
            ok = push(s, g_mime_multipart_get_part(mp, root), depth + 1, 0);
    } else {
        for (int i = n - 1; ok && i >= 0; i--)
            ok = push(s, g_mime_multipart_get_part(mp, i), depth + 1, 0);
    }
    if (!ok)
        mg_mail_whole_tempfail(c, MG_R_RESOURCES, "memory");
}

/* Every header of one MIME object against max-header-length. */
static void check_headers(struct mg_mail_ctx *c, GMimeObject *obj)
{
    GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
    int n = hl ? g_mime_header_list_get_count(hl) : 0;
    for (int i = 0; i < n; i++) {
        GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
        const char *raw = h ? g_mime_header_get_raw_value(h) : NULL;
        if (raw != NULL && strlen(raw) > c->conf.max_header_len) {
            mg_mail_whole_block(c, MG_R_LIMIT_SIZE, "%s: %s > %llu",
                                mg_mail_tr(c, N_("header field too long")),
                                g_mime_header_get_name(h),
                                (unsigned long long)c->conf.max_header_len);
            return;
        }
    }
}

void mg_mail_walk(struct mg_mail_ctx *c, GMimeMessage *msg)
{
    check_headers(c, GMIME_OBJECT(msg));
    GMimeObject *root = g_mime_message_get_mime_part(msg);
    if (root == NULL || mg_mail_stopped(c))
        return;
    struct stack s = {NULL, 0, 0};
    if (!push(&s, root, 0, 0))
        mg_mail_whole_tempfail(c, MG_R_RESOURCES, "memory");
    while (s.n > 0 && !mg_mail_stopped(c)) {
        struct frame f = s.f[--s.n];
        c->n_parts++;
        if (c->n_parts > c->pol->limits.max_items) {
            mg_mail_whole_block(c, MG_R_LIMIT_COUNT, "%s > %llu",
                                mg_mail_tr(c, N_("MIME parts")),
                                (unsigned long long)c->pol->limits.max_items);
            break;
        }
        if (f.depth > c->conf.max_nesting) {
            mg_mail_whole_block(c, MG_R_LIMIT_DEPTH, "%s > %llu",
                                mg_mail_tr(c, N_("multipart nesting")),
                                (unsigned long long)c->conf.max_nesting);
            break;
        }
        if (!mg_job_time_ok(c->job)) {
            mg_mail_whole_block(c, MG_R_LIMIT_TIME, "%s", "");
            break;
        }
        check_headers(c, f.obj);
        if (mg_mail_stopped(c))
            break;
        if (GMIME_IS_MULTIPART(f.obj))
            container(c, &s, GMIME_MULTIPART(f.obj), f.depth);
        else if (GMIME_IS_MESSAGE_PART(f.obj)) {
            /* message/rfc822: the engine runs this sanitizer again on it, so
             * the depth limit and the report tree are the engine's. */
            GMimeMessage *sub = g_mime_message_part_get_message(GMIME_MESSAGE_PART(f.obj));
            char *name = part_name(c, f.obj);
            char *txt = sub ? g_mime_object_to_string(GMIME_OBJECT(sub), NULL) : NULL;
            if (txt == NULL) {
                block_part(c, name, NULL, 0, false, MG_TC_UNKNOWN, MG_R_MALFORMED,
                           "message/rfc822");
            } else {
                size_t len = strlen(txt);
                if (!mg_job_charge(c->job, len))
                    mg_mail_whole_block(c, MG_R_LIMIT_SIZE, "%s",
                                        mg_mail_tr(c, N_("the message exceeds the total size limit")));
                else
                    add_att(c, dispatch(c, name, (const uint8_t *)txt, len, MG_TC_MAIL, false, NULL),
                            true);
            }
            g_free(txt);
            g_free(name);
        } else {
            leaf(c, f.obj, f.flags);
        }
    }
    g_free(s.f);
}
