/* RESPMOD and REQMOD: read the encapsulated HTTP headers and the body
 * (preview first when offered), decide, answer. Nothing of the body goes
 * back before the verdict: the answer is built only after the engine has
 * finished with the whole body (or after a preview-time decision that does
 * not need the rest). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "core/json.h"
#include "core/log.h"
#include "engine/audit.h"
#include "engine/quarantine.h"
#include "proto/icap/icap_decode.h"
#include "proto/icap/icap_fast.h"
#include "proto/icap/icap_http.h"
#include "proto/icap/icap_session.h"

static const struct mg_icap_head *http_head(const struct mg_icap_tx *tx)
{
    if (tx->req.method == MG_ICAP_M_RESPMOD)
        return tx->have_res_hdr ? &tx->res_hdr : NULL;
    return tx->have_req_hdr ? &tx->req_hdr : NULL;
}

static bool fail_400(struct mg_icap_tx *tx, const char *why)
{
    tx->close = true;
    tx->outcome = why;
    mg_icap_send_status(tx, 400, "Bad Request");
    return false;
}

/* Reads and parses req-hdr and res-hdr; each must be a complete header
 * block exactly filling its part of the encapsulated headers. */
static bool read_encap_headers(struct mg_icap_tx *tx)
{
    const struct mg_icap_encap *e = &tx->encap;
    size_t n = e->body_off;
    if (n == 0)
        return true;
    const char *d = NULL;
    enum mg_icap_io_rc rc = mg_icap_io_read_exact(tx->io, n, &d);
    if (rc == MG_ICAP_IO_TOO_LONG)
        return fail_400(tx, "encapsulated-too-long");
    if (rc != MG_ICAP_IO_OK) {
        tx->close = true;
        tx->outcome = "eof-in-headers";
        return false;
    }
    tx->encap_hdrs = malloc(n);
    if (!tx->encap_hdrs) {
        tx->close = true;
        mg_icap_send_status(tx, 500, "Server Error");
        return false;
    }
    memcpy(tx->encap_hdrs, d, n);
    if (e->has_req_hdr) {
        size_t end = e->has_res_hdr ? e->res_hdr : n;
        if (mg_icap_parse_head(tx->encap_hdrs + e->req_hdr, end - e->req_hdr, &tx->req_hdr) != MG_ICAP_P_OK)
            return fail_400(tx, "bad-req-hdr");
        tx->have_req_hdr = true;
    }
    if (e->has_res_hdr) {
        if (mg_icap_parse_head(tx->encap_hdrs + e->res_hdr, n - e->res_hdr, &tx->res_hdr) != MG_ICAP_P_OK)
            return fail_400(tx, "bad-res-hdr");
        tx->have_res_hdr = true;
    }
    if (!e->has_req_hdr && !e->has_res_hdr)
        return fail_400(tx, "encapsulated-no-header");
    return true;
}

/* The URL for logs and the block page, and the file name for the engine. */
static void describe(struct mg_icap_tx *tx)
{
    const struct mg_icap_head *h = http_head(tx);
    if (tx->have_req_hdr) {
        const char *l = tx->req_hdr.line, *sp = memchr(l, ' ', tx->req_hdr.line_len);
        if (sp) {
            const char *t = sp + 1, *le = l + tx->req_hdr.line_len;
            const char *sp2 = memchr(t, ' ', (size_t)(le - t));
            size_t tl = (size_t)((sp2 ? sp2 : le) - t);
            char host[256] = "";
            if (tl > 0 && t[0] == '/')
                mg_icap_head_copy(&tx->req_hdr, "Host", host, sizeof(host));
            snprintf(tx->url, sizeof(tx->url), "%s%s%.*s", host[0] ? "http://" : "", host,
                     (int)(tl > 900 ? 900 : tl), t);
            for (char *p = tx->url; *p; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f)
                    *p = '?';
        }
    }
    if (h) {
        const struct mg_icap_hdr *cd = mg_icap_head_get(h, "Content-Disposition", NULL);
        if (cd && mg_icap_disposition_filename(cd->value, cd->value_len, tx->name, sizeof(tx->name)))
            return;
    }
    const char *path;
    size_t plen;
    if (tx->have_req_hdr && mg_icap_http_target_path(tx->req_hdr.line, tx->req_hdr.line_len, &path, &plen)) {
        size_t s = 0;
        for (size_t i = 0; i < plen; i++)
            if (path[i] == '/')
                s = i + 1;
        char seg[256];
        size_t k = 0;
        for (size_t i = s; i < plen && k + 1 < sizeof(seg); i++) {
            if (path[i] == '%' && i + 2 < plen && g_ascii_xdigit_value(path[i + 1]) >= 0 && g_ascii_xdigit_value(path[i + 2]) >= 0) {
                char c = (char)(g_ascii_xdigit_value(path[i + 1]) * 16 + g_ascii_xdigit_value(path[i + 2]));
                i += 2;
                if (c == '/' || c == '\\' || (unsigned char)c < 0x20)
                    c = '_';
                seg[k++] = c;
            } else {
                seg[k++] = path[i];
            }
        }
        seg[k] = '\0';
        if (k > 0 && strcmp(seg, ".") != 0 && strcmp(seg, "..") != 0) {
            g_strlcpy(tx->name, seg, sizeof(tx->name));
            return;
        }
    }
    g_strlcpy(tx->name, tx->req.method == MG_ICAP_M_RESPMOD ? "download" : "upload", sizeof(tx->name));
}

/* ICAP 200 carrying an HTTP message: the header block, then the body in
 * chunks straight from memory (or the spool's mapping). */
bool mg_icap_send_200(struct mg_icap_tx *tx, const struct mg_buf *http_head_blk, bool is_req,
                      const uint8_t *body, size_t body_len)
{
    struct mg_buf b;
    mg_buf_init(&b);
    mg_buf_puts(&b, "ICAP/1.0 200 OK\r\n");
    char date[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    if (strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm) == 0)
        date[0] = '\0';
    mg_buf_printf(&b, "ISTag: %s\r\nDate: %s\r\n", tx->gen->istag, date);
    if (tx->close)
        mg_buf_puts(&b, "Connection: close\r\n");
    mg_buf_printf(&b, "Encapsulated: %s=0, %s=%zu\r\n\r\n", is_req ? "req-hdr" : "res-hdr",
                  body ? (is_req ? "req-body" : "res-body") : "null-body", http_head_blk->len);
    mg_buf_append(&b, http_head_blk->data, http_head_blk->len);
    if (body && body_len > 0)
        mg_buf_printf(&b, "%zx\r\n", body_len > 65536 ? (size_t)65536 : body_len);
    tx->icap_status = 200;
    bool ok = !mg_buf_failed(&b) && mg_icap_io_write(tx->io, b.data, b.len);
    mg_buf_free(&b);
    if (body) {
        size_t pos = 0;
        while (ok && pos < body_len) {
            size_t n = body_len - pos > 65536 ? 65536 : body_len - pos;
            ok = mg_icap_io_write(tx->io, body + pos, n);
            pos += n;
            char next[32];
            int m;
            if (pos < body_len)
                m = snprintf(next, sizeof(next), "\r\n%zx\r\n",
                             body_len - pos > 65536 ? (size_t)65536 : body_len - pos);
            else
                m = snprintf(next, sizeof(next), "\r\n");
            ok = ok && mg_icap_io_write(tx->io, next, (size_t)m);
        }
        ok = ok && mg_icap_io_write(tx->io, "0\r\n\r\n", 5);
    }
    if (!ok)
        tx->close = true;
    return ok;
}

/* No change: 204 when the client allows it (always inside a preview),
 * else 200 echoing what we received (body NULL when we do not have it). */
static void pass_unchanged(struct mg_icap_tx *tx, bool in_preview, const uint8_t *body, size_t len,
                           bool have_body)
{
    const struct mg_icap_config *c = tx->gen->cfg;
    if (c->use_204 && (tx->allow_204 || in_preview)) {
        mg_icap_send_204(tx);
        return;
    }
    const struct mg_icap_head *h = http_head(tx);
    struct mg_buf head;
    mg_buf_init(&head);
    mg_icap_http_copy(h, NULL, &head);
    mg_buf_puts(&head, "\r\n");
    mg_icap_send_200(tx, &head, tx->req.method == MG_ICAP_M_REQMOD,
                     have_body ? (body ? body : (const uint8_t *)"") : NULL, len);
    mg_buf_free(&head);
}

static void store_original(struct mg_icap_tx *tx, const struct mg_sandbox_result *job, const uint8_t *data,
                           size_t len)
{
    struct mg_buf meta;
    mg_buf_init(&meta);
    struct mg_json j;
    mg_json_init(&j, &meta);
    mg_json_obj_begin(&j, NULL);
    mg_json_str(&j, "source", "icap");
    mg_json_str(&j, "method", tx->req.method == MG_ICAP_M_RESPMOD ? "RESPMOD" : "REQMOD");
    mg_json_str(&j, "url", tx->url);
    mg_json_str(&j, "client", tx->peer->ip);
    char xci[64];
    if (mg_icap_head_copy(&tx->req.head, "X-Client-IP", xci, sizeof(xci)))
        mg_json_str(&j, "http_client", xci);
    mg_json_str(&j, "name", tx->name);
    mg_json_obj_end(&j);
    const char *m = !mg_json_failed(&j) ? mg_buf_cstr(&meta) : NULL;
    if (!mg_sandbox_quarantine(tx->gen->er->sandbox, job, tx->name, data, len, m))
        mg_log(MG_LOG_WARN, job->job_id, NULL, "icap: the original could not be quarantined");
    mg_buf_free(&meta);
}

/* One chained audit line per job, with the ICAP facts in "icap". */
static void audit(struct mg_icap_tx *tx, const struct mg_sandbox_result *job)
{
    struct mg_buf b;
    mg_buf_init(&b);
    struct mg_json j;
    mg_json_init(&j, &b);
    mg_json_obj_begin(&j, NULL);
    mg_json_obj_begin(&j, "icap");
    mg_json_str(&j, "conn", tx->conn_id);
    mg_json_str(&j, "method", tx->req.method == MG_ICAP_M_RESPMOD ? "RESPMOD" : "REQMOD");
    mg_json_str(&j, "client", tx->peer->ip);
    char xci[64];
    if (mg_icap_head_copy(&tx->req.head, "X-Client-IP", xci, sizeof(xci)))
        mg_json_str(&j, "http_client", xci);
    mg_json_str(&j, "url", tx->url);
    mg_json_int(&j, "http_status", tx->http_status);
    mg_json_uint(&j, "body_in", tx->body_in);
    mg_json_obj_end(&j);
    mg_json_obj_end(&j);
    struct mg_sandbox *sb = tx->gen->er->sandbox;
    /* Members without the outer braces. */
    if (!mg_json_failed(&j) && b.len > 2) {
        b.len--;
        (void)mg_sandbox_audit(sb, job, mg_buf_cstr(&b) + 1); /* failures are logged there */
    } else {
        (void)mg_sandbox_audit(sb, job, NULL);
    }
    mg_buf_free(&b);
}

static void send_block(struct mg_icap_tx *tx, const struct mg_sandbox_result *job)
{
    struct mg_buf page, head;
    mg_buf_init(&page);
    mg_buf_init(&head);
    mg_icap_block_page(tx->gen->er->sandbox, job, tx->req.method == MG_ICAP_M_REQMOD, tx->url, tx->name, &page);
    mg_icap_block_head(job, page.len, &head);
    if (mg_buf_failed(&page) || mg_buf_failed(&head)) {
        tx->close = true;
        mg_icap_send_status(tx, 500, "Server Error");
    } else {
        mg_icap_send_200(tx, &head, false, page.data, page.len);
    }
    mg_buf_free(&page);
    mg_buf_free(&head);
}

/* A multipart form upload went through the engine as a MIME entity (the
 * mail sanitizer walks its parts). The form cannot be rebuilt as the
 * browser sent it, so it passes unchanged only when nothing in it needed a
 * change: no action anywhere and every part clean. Otherwise the upload is
 * refused with the block page (fail closed). */
static bool form_clean(const struct mg_sandbox_result *job)
{
    for (size_t i = 0; i < job->n_nodes; i++) {
        const struct mg_sandbox_node *n = &job->nodes[i];
        if (n->depth > 64 || *n->actions)
            return false;
        if (n->depth == 0) {
            if (!(n->verdict == MG_CLEAN || (n->verdict == MG_SANITIZED && n->reason == MG_R_SANITIZED)))
                return false;
        } else if (n->verdict != MG_CLEAN) {
            return false;
        }
    }
    return job->n_nodes > 0;
}

/* After a job: audit, quarantine, answer by verdict. orig is the decoded
 * body the engine saw (NULL for a refusal before the engine). */
static void answer_job(struct mg_icap_tx *tx, const struct mg_sandbox_result *job, bool in_preview,
                       const uint8_t *orig, size_t orig_len, const uint8_t *raw, size_t raw_len, bool form)
{
    g_strlcpy(tx->job_id, job->job_id, sizeof(tx->job_id));
    audit(tx, job);
    enum mg_verdict v = job->verdict;
    if (form && (v == MG_CLEAN || v == MG_SANITIZED)) {
        if (form_clean(job)) {
            tx->outcome = "clean-form";
            pass_unchanged(tx, in_preview, raw, raw_len, true);
        } else {
            if (orig)
                store_original(tx, job, orig, orig_len);
            tx->outcome = "form-blocked";
            send_block(tx, job);
        }
        return;
    }
    if ((v == MG_SANITIZED || v == MG_BLOCKED) && orig)
        store_original(tx, job, orig, orig_len);
    switch (v) {
    case MG_CLEAN:
        tx->outcome = "clean";
        pass_unchanged(tx, in_preview, raw, raw_len, true);
        return;
    case MG_SANITIZED: {
        size_t olen = job->output_len;
        const uint8_t *out = job->output;
        if (!out) {
            tx->outcome = "tempfail";
            mg_icap_send_status(tx, 500, "Server Error");
            return;
        }
        struct mg_buf head;
        mg_buf_init(&head);
        /* A renamed file whose sanitizer gave no type must not keep the old one. */
        const char *mime = job->out_mime;
        if (!mime && job->out_name)
            mime = mg_icap_mime_for_name(job->out_name);
        mg_icap_http_rebuilt_head(http_head(tx), mime, job->out_name, olen, job->job_id,
                                  "sanitized", &head);
        tx->outcome = "sanitized";
        if (mg_buf_failed(&head))
            mg_icap_send_status(tx, 500, "Server Error");
        else
            mg_icap_send_200(tx, &head, tx->req.method == MG_ICAP_M_REQMOD, out ? out : (const uint8_t *)"", olen);
        mg_buf_free(&head);
        return;
    }
    case MG_BLOCKED:
        tx->outcome = "blocked";
        send_block(tx, job);
        return;
    case MG_TEMPFAIL:
    default:
        tx->outcome = "tempfail";
        mg_icap_send_status(tx, 500, "Server Error");
        return;
    }
}

/* A refusal decided without running the engine (over the size limit, a
 * partial response, an encoding we cannot decode): still a job, so it has
 * an id, an audit line and a notice. */
static void reject(struct mg_icap_tx *tx, enum mg_reason r, const char *detail, bool in_preview)
{
    struct mg_sandbox_result res;
    mg_sandbox_reject(tx->gen->er->sandbox, tx->name, r, detail, &res);
    answer_job(tx, &res, in_preview, NULL, 0, NULL, 0, false);
    mg_sandbox_result_clear(&res);
}

static const char *header_value(const struct mg_icap_head *h, const char *name, char *buf, size_t size)
{
    return h && mg_icap_head_copy(h, name, buf, size) ? buf : NULL;
}

/* Decisions that need no more than the headers and the preview. True when
 * an answer was sent. */
static bool early_decision(struct mg_icap_tx *tx, const uint8_t *data, size_t len, bool in_preview)
{
    const struct mg_icap_config *c = tx->gen->cfg;
    const struct mg_policy *pol = mg_engine_policy(tx->gen->er->engine);
    const struct mg_icap_head *h = http_head(tx);
    char ctype[160], cenc[64], clen[32];
    const char *ct = header_value(h, "Content-Type", ctype, sizeof(ctype));
    const char *ce = header_value(h, "Content-Encoding", cenc, sizeof(cenc));
    if (tx->http_status == 206) {
        enum mg_type_class cls = mg_icap_ctype_class(ct);
        if (c->partial == MG_ICAP_PARTIAL_BLOCK || cls == MG_TC_UNKNOWN || pol->by_class[cls] != MG_DO_PASS) {
            reject(tx, MG_R_POLICY_BLOCK, "HTTP 206 partial content", in_preview);
            return true;
        }
    }
    uint64_t cl;
    if (header_value(h, "Content-Length", clen, sizeof(clen)) &&
        mg_icap_parse_uint(clen, strlen(clen), &cl) && cl > c->max_body_size) {
        reject(tx, MG_R_LIMIT_SIZE, "Content-Length over [icap] max-body-size", in_preview);
        return true;
    }
    if (ce && !mg_icap_encodings_supported(ce)) {
        char d[100];
        snprintf(d, sizeof(d), "Content-Encoding %s", ce);
        reject(tx, MG_R_POLICY_BLOCK, d, in_preview);
        return true;
    }
    if (in_preview && c->fast_path && c->use_204 &&
        mg_icap_fast_pass(pol, ct, tx->name, ce && g_ascii_strcasecmp(ce, "identity") != 0, data, len)) {
        tx->outcome = "fast-path";
        mg_icap_send_204(tx);
        return true;
    }
    return false;
}

struct run_ctx {
    struct mg_sandbox *sandbox;
    const char *name;
    const uint8_t *data;
    size_t len;
    enum mg_type_class forced;
    struct mg_sandbox_result res;
    bool ran;
};

/* In a sandboxed worker (src/sandbox); a worker that crashed or timed out
 * comes back as TEMPFAIL, which answers ICAP 500. */
static void run_job(void *arg)
{
    struct run_ctx *rc = arg;
    (void)mg_sandbox_run(rc->sandbox, rc->name, rc->data, rc->len, rc->forced, &rc->res);
    rc->ran = true;
}

struct decode_ctx {
    struct mg_sandbox *sandbox;
    const char *ce;
    const uint8_t *raw;
    size_t len;
    uint64_t max;
    struct mg_sandbox_xresult res;
    bool ran;
};

/* Decompression of attacker bytes is parsing: it runs in a sandboxed
 * worker (src/sandbox/xform.c), so a bomb or a zlib/brotli bug costs this
 * request (ICAP 500, like any worker failure), not the service. */
static void run_decode(void *arg)
{
    struct decode_ctx *dc = arg;
    (void)mg_sandbox_transform(dc->sandbox, MG_XFORM_HTTP_DECODE, dc->ce, dc->raw, dc->len, dc->max, &dc->res);
    dc->ran = true;
}

/* True with the decoded body in dc->res; false after answering. Decoding
 * needs none of an engine thread's state (libmagic handles), so it runs
 * from this thread under the same bound and queue deadline as jobs. */
static bool decode_body(struct mg_icap_tx *tx, struct decode_ctx *dc)
{
    if (!mg_workpool_run_here(tx->srv->front.pool, run_decode, dc, tx->gen->cfg->job_wait)) {
        tx->outcome = "busy";
        mg_icap_send_status(tx, 503, "Service Overloaded");
        return false;
    }
    int st = dc->ran ? dc->res.status : -1;
    if (st == MG_ICAP_DEC_OK)
        return true;
    if (st < 0 && dc->res.poison) {
        /* Blocked like a poison job, and kept like one: the body as it
         * came (still encoded) goes to quarantine for the administrator. */
        struct mg_sandbox_result res;
        mg_sandbox_reject(tx->gen->er->sandbox, tx->name, MG_R_POISON, dc->res.worker_failure, &res);
        answer_job(tx, &res, false, dc->raw, dc->len, NULL, 0, false);
        mg_sandbox_result_clear(&res);
    } else if (st < 0 || st == MG_ICAP_DEC_NOMEM) {
        mg_log(MG_LOG_ERROR, NULL, tx->name, "Content-Encoding %s: decoding in the sandbox worker failed: %s", dc->ce,
               st < 0 && dc->res.worker_failure ? dc->res.worker_failure : "out of memory or disk space");
        tx->outcome = "tempfail";
        mg_icap_send_status(tx, 500, "Server Error");
    } else if (st == MG_ICAP_DEC_OVER) {
        reject(tx, MG_R_LIMIT_SIZE, "decoded body over [icap] max-body-size", false);
    } else if (st == MG_ICAP_DEC_BAD) {
        reject(tx, MG_R_MALFORMED, "corrupt Content-Encoding", false);
    } else {
        reject(tx, MG_R_POLICY_BLOCK, "unsupported Content-Encoding", false);
    }
    mg_sandbox_xresult_clear(&dc->res);
    return false;
}

/* The whole body is in sp: decode, run the engine, answer. */
static void full_decision(struct mg_icap_tx *tx, struct mg_spool *sp)
{
    const struct mg_icap_config *c = tx->gen->cfg;
    const struct mg_policy *pol = mg_engine_policy(tx->gen->er->engine);
    size_t raw_len = 0;
    const uint8_t *raw = mg_spool_view(sp, &raw_len);
    if (mg_spool_failed(sp)) {
        tx->outcome = "tempfail";
        mg_icap_send_status(tx, 500, "Server Error");
        return;
    }
    char cenc[64];
    const char *ce = header_value(http_head(tx), "Content-Encoding", cenc, sizeof(cenc));
    struct decode_ctx dc = { .sandbox = tx->gen->er->sandbox, .ce = ce, .raw = raw, .len = raw_len,
                             .max = c->max_body_size };
    const uint8_t *data = raw;
    size_t len = raw_len;
    if (ce && g_ascii_strcasecmp(ce, "identity") != 0) {
        if (!decode_body(tx, &dc))
            return;
        data = dc.res.out;
        len = dc.res.out_len;
    }
    if (len == 0) {
        /* An empty HTTP body carries nothing to disarm. */
        tx->outcome = "empty";
        pass_unchanged(tx, tx->complete_in_preview, raw, raw_len, true);
        mg_sandbox_xresult_clear(&dc.res);
        return;
    }
    /* The job runs on a long-lived engine worker: bounded CPU work however
     * many connections are open, and warm per-thread engine state. */
    /* An upload as multipart/form-data: its parts are files and fields, so
     * the engine reads it as a MIME entity with the form's Content-Type. */
    char ctype[512];
    const char *ct = header_value(http_head(tx), "Content-Type", ctype, sizeof(ctype));
    bool form = tx->req.method == MG_ICAP_M_REQMOD && ct && g_ascii_strncasecmp(ct, "multipart/", 10) == 0;
    struct mg_spool *mime = NULL;
    if (form) {
        mime = mg_spool_new((size_t)pol->spool_threshold, 0, pol->tmpdir);
        bool ok = mime && mg_spool_write(mime, "MIME-Version: 1.0\r\nContent-Type: ", 33) &&
                  mg_spool_write(mime, ct, strlen(ct)) && mg_spool_write(mime, "\r\n\r\n", 4) &&
                  mg_spool_write(mime, data, len);
        size_t ml = 0;
        const uint8_t *md = ok ? mg_spool_view(mime, &ml) : NULL;
        if (!md || mg_spool_failed(mime)) {
            tx->outcome = "tempfail";
            mg_icap_send_status(tx, 500, "Server Error");
            mg_spool_free(mime);
            mg_sandbox_xresult_clear(&dc.res);
            return;
        }
        data = md;
        len = ml;
    }
    struct run_ctx rc = { .sandbox = tx->gen->er->sandbox, .name = tx->name, .data = data, .len = len,
                          .forced = form ? MG_TC_MAIL : MG_TC_UNKNOWN };
    /* Sandboxed: handed to a worker process from this thread (no hand-off
     * to an engine thread first); in-process: on a warm engine thread. */
    bool here = mg_sandbox_mode(rc.sandbox) != MG_SANDBOX_OFF;
    if (!(here ? mg_workpool_run_here : mg_workpool_run)(tx->srv->front.pool, run_job, &rc, c->job_wait)) {
        tx->outcome = "busy";
        mg_icap_send_status(tx, 503, "Service Overloaded");
    } else if (!rc.ran) {
        tx->outcome = "tempfail";
        mg_icap_send_status(tx, 500, "Server Error");
    } else {
        answer_job(tx, &rc.res, tx->complete_in_preview, data, len, raw, raw_len, form);
        mg_sandbox_result_clear(&rc.res);
    }
    mg_spool_free(mime);
    mg_sandbox_xresult_clear(&dc.res);
}

static bool body_failed(struct mg_icap_tx *tx, enum mg_icap_body_rc rc)
{
    if (rc == MG_ICAP_BODY_OK)
        return false;
    if (rc == MG_ICAP_BODY_BAD) {
        fail_400(tx, "bad-chunk");
    } else {
        tx->close = true;
        tx->outcome = "eof-in-body";
    }
    return true;
}

void mg_icap_modify(struct mg_icap_tx *tx)
{
    const struct mg_icap_config *c = tx->gen->cfg;
    const struct mg_policy *pol = mg_engine_policy(tx->gen->er->engine);
    bool respmod = tx->req.method == MG_ICAP_M_RESPMOD;
    if (!read_encap_headers(tx))
        return;
    const struct mg_icap_head *h = http_head(tx);
    if (!h) {
        fail_400(tx, respmod ? "no-res-hdr" : "no-req-hdr");
        return;
    }
    if (respmod && !mg_icap_http_status(h->line, h->line_len, &tx->http_status)) {
        fail_400(tx, "bad-http-status");
        return;
    }
    describe(tx);
    const struct mg_icap_hdr *allow = mg_icap_head_get(&tx->req.head, "Allow", NULL);
    tx->allow_204 = allow && mg_icap_value_has_token(allow->value, allow->value_len, "204");
    bool dup = false;
    const struct mg_icap_hdr *pv = mg_icap_head_get(&tx->req.head, "Preview", &dup);
    if (pv) {
        if (dup || !mg_icap_parse_uint(pv->value, pv->value_len, &tx->preview) ||
            tx->preview > MG_ICAP_MAX_ENCAP_BYTES) {
            fail_400(tx, "bad-preview");
            return;
        }
        tx->has_preview = true;
    }
    if (tx->encap.body == MG_ICAP_B_NULL) {
        tx->outcome = "no-body";
        pass_unchanged(tx, false, NULL, 0, false);
        return;
    }
    struct mg_spool *sp = mg_spool_new((size_t)pol->spool_threshold, 0, pol->tmpdir);
    if (!sp) {
        tx->close = true;
        mg_icap_send_status(tx, 500, "Server Error");
        return;
    }
    bool over = false, ieof = false;
    enum mg_icap_body_rc rc;
    if (tx->has_preview) {
        rc = mg_icap_read_chunks(tx, sp, tx->preview, &over, &ieof);
        if (body_failed(tx, rc))
            goto out;
        if (over) { /* more preview bytes than announced */
            fail_400(tx, "preview-too-long");
            goto out;
        }
        /* A preview ending in ieof holds the whole body, and the answer is
         * still one to a preview: 204 is allowed without Allow: 204. */
        tx->complete_in_preview = ieof;
        if (!ieof) {
            size_t plen = 0;
            const uint8_t *pd = mg_spool_view(sp, &plen);
            if (early_decision(tx, pd, plen, true))
                goto out;
            static const char cont[] = "ICAP/1.0 100 Continue\r\n\r\n";
            if (!mg_icap_io_write(tx->io, cont, sizeof(cont) - 1)) {
                tx->close = true;
                goto out;
            }
            rc = mg_icap_read_chunks(tx, sp, c->max_body_size, &over, &ieof);
            if (body_failed(tx, rc))
                goto out;
        }
    } else {
        rc = mg_icap_read_chunks(tx, sp, c->max_body_size, &over, &ieof);
        if (body_failed(tx, rc))
            goto out;
    }
    if (over) {
        reject(tx, MG_R_LIMIT_SIZE, "body over [icap] max-body-size", false);
        goto out;
    }
    if (mg_spool_size(sp) > c->max_body_size) {
        reject(tx, MG_R_LIMIT_SIZE, "body over [icap] max-body-size", false);
        goto out;
    }
    {
        size_t l = 0;
        const uint8_t *d = mg_spool_view(sp, &l);
        if (early_decision(tx, d, l, false))
            goto out;
    }
    full_decision(tx, sp);
out:
    mg_spool_free(sp);
}
