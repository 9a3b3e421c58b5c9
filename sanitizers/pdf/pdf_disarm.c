#include "sanitizers/pdf/pdf_disarm.h"

#include <qpdf/qpdf-c.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sanitizers/pdf/pdf_walk.h"

static void set_detail(struct mg_pdf_result *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void set_detail(struct mg_pdf_result *res, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->detail, sizeof(res->detail), fmt, ap);
    va_end(ap);
}

/* A qpdf handle that never prints: warnings are collected (and reported by
 * us), errors are checked after each call, the logger discards the rest. */
static qpdf_data open_quiet(void)
{
    qpdf_data q = qpdf_init();
    if (q == NULL)
        return NULL;
    qpdf_silence_errors(q);
    qpdf_set_suppress_warnings(q, QPDF_TRUE);
    qpdflogger_handle l = qpdflogger_create();
    if (l != NULL) {
        qpdflogger_set_info(l, qpdf_log_dest_discard, NULL, NULL);
        qpdflogger_set_warn(l, qpdf_log_dest_discard, NULL, NULL);
        qpdflogger_set_error(l, qpdf_log_dest_discard, NULL, NULL);
        qpdflogger_set_save(l, qpdf_log_dest_discard, NULL, NULL, 0);
        qpdf_set_logger(q, l);
        qpdflogger_cleanup(&l);
    }
    return q;
}

static const char *error_text(qpdf_data q, enum qpdf_error_code_e *code)
{
    *code = qpdf_e_internal;
    if (!qpdf_has_error(q))
        return "qpdf error";
    qpdf_error e = qpdf_get_error(q);
    if (e == NULL)
        return "qpdf error";
    *code = qpdf_get_error_code(q, e);
    const char *t = qpdf_get_error_full_text(q, e);
    return t != NULL ? t : "qpdf error";
}

/* Reads with an empty password; qpdf repairs what it can (recovery is on by
 * default). Returns OK or the status that blocks. */
static enum mg_pdf_status read_pdf(qpdf_data q, const uint8_t *data, size_t len,
                                   struct mg_pdf_result *res)
{
    QPDF_ERROR_CODE rc = qpdf_read_memory(q, "input.pdf", (const char *)data,
                                          (unsigned long long)len, "");
    if ((rc & QPDF_ERRORS) == 0)
        return MG_PDF_OK;
    enum qpdf_error_code_e code;
    const char *t = error_text(q, &code);
    if (code == qpdf_e_password) {
        set_detail(res, "password required");
        return MG_PDF_ENCRYPTED;
    }
    set_detail(res, "%s", t);
    return MG_PDF_MALFORMED;
}

/* Drains qpdf's warnings (the repairs it made) into the result. */
static void collect_warnings(qpdf_data q, struct mg_pdf_result *res)
{
    while (qpdf_more_warnings(q)) {
        qpdf_error e = qpdf_next_warning(q);
        if (e == NULL)
            break;
        if (res->warnings++ == 0 && res->status == MG_PDF_OK) {
            const char *t = qpdf_get_error_message_detail(q, e);
            set_detail(res, "%s", t != NULL ? t : "");
        }
    }
}

static bool hooks_time_ok(const struct mg_pdf_hooks *hooks)
{
    return hooks == NULL || hooks->time_ok == NULL || hooks->time_ok(hooks->ctx);
}

static void report(const struct mg_pdf_hooks *hooks, struct mg_pdf_result *res,
                   enum mg_action a, const char *detail)
{
    res->removed++;
    if (hooks != NULL && hooks->action != NULL)
        hooks->action(hooks->ctx, a, detail);
}

/* Fresh output: only reachable objects, streams compressed as they were (no
 * decoding, so a compression bomb costs nothing here), object streams
 * generated, no encryption, an /ID derived from the content. */
static void set_write_options(qpdf_data q)
{
    qpdf_set_object_stream_mode(q, qpdf_o_generate);
    qpdf_set_compress_streams(q, QPDF_TRUE);
    qpdf_set_decode_level(q, qpdf_dl_none);
    qpdf_set_preserve_unreferenced_objects(q, QPDF_FALSE);
    qpdf_set_preserve_encryption(q, QPDF_FALSE);
    qpdf_set_deterministic_ID(q, QPDF_TRUE);
    qpdf_set_linearization(q, QPDF_FALSE);
    qpdf_set_qdf_mode(q, QPDF_FALSE);
}

/* Writes the document into qpdf's memory buffer and reads it back in
 * count-only mode: anything still active, or an unreadable result, fails. */
static enum mg_pdf_status write_verified(qpdf_data q, enum qpdf_object_stream_e objstm,
                                         const struct mg_pdf_opts *opts,
                                         const uint8_t **buf, size_t *blen,
                                         struct mg_pdf_result *res)
{
    enum qpdf_error_code_e code;
    res->unreadable = false;
    if ((qpdf_init_write_memory(q) & QPDF_ERRORS) != 0) {
        set_detail(res, "%s", error_text(q, &code));
        return MG_PDF_MALFORMED;
    }
    set_write_options(q);
    qpdf_set_object_stream_mode(q, objstm);
    if ((qpdf_write(q) & QPDF_ERRORS) != 0 || qpdf_has_error(q)) {
        set_detail(res, "%s", error_text(q, &code));
        return MG_PDF_MALFORMED;
    }
    *buf = qpdf_get_buffer(q);
    *blen = qpdf_get_buffer_length(q);
    if (*buf == NULL || *blen == 0) {
        set_detail(res, "empty output");
        return MG_PDF_MALFORMED;
    }
    size_t left = mg_pdf_count_active(*buf, *blen, opts);
    if (left == SIZE_MAX) {
        res->unreadable = true;
        set_detail(res, "the rewritten file could not be read back");
        return MG_PDF_VERIFY;
    }
    if (left > 0) {
        set_detail(res, "%zu active items left after rewriting", left);
        return MG_PDF_VERIFY;
    }
    return MG_PDF_OK;
}

enum mg_pdf_status mg_pdf_disarm(const uint8_t *data, size_t len,
                                 const struct mg_pdf_opts *opts,
                                 const struct mg_pdf_hooks *hooks,
                                 struct mg_sink *out, struct mg_pdf_result *res)
{
    memset(res, 0, sizeof(*res));
    qpdf_data q = open_quiet();
    if (q == NULL) {
        set_detail(res, "qpdf_init");
        return res->status = MG_PDF_NOMEM;
    }
    enum mg_pdf_status st = read_pdf(q, data, len, res);
    if (st != MG_PDF_OK)
        goto done;
    res->decrypted = qpdf_is_encrypted(q);

    size_t found = 0;
    char detail[256];
    st = mg_pdf_walk(q, data, len, opts, hooks, false, &found, detail, sizeof(detail));
    res->removed += found;
    if (st != MG_PDF_OK) {
        set_detail(res, "%s", detail);
        goto done;
    }
    if (!hooks_time_ok(hooks)) {
        st = MG_PDF_TIME;
        set_detail(res, "time limit");
        goto done;
    }

    /* qpdf can write an unreadable file from some damaged inputs when it
     * generates object streams (junk trailer keys land in the xref stream);
     * the read-back catches that, and one retry without object streams
     * usually fixes it. */
    const uint8_t *buf = NULL;
    size_t blen = 0;
    st = write_verified(q, qpdf_o_generate, opts, &buf, &blen, res);
    if (st == MG_PDF_VERIFY && res->unreadable)
        st = write_verified(q, qpdf_o_disable, opts, &buf, &blen, res);
    if (st != MG_PDF_OK)
        goto done;
    collect_warnings(q, res);
    if (!hooks_time_ok(hooks)) {
        st = MG_PDF_TIME;
        set_detail(res, "time limit");
        goto done;
    }
    if (res->decrypted)
        report(hooks, res, MG_A_DECRYPTED, "empty user password");
    if (res->warnings > 0) {
        char d[300];
        snprintf(d, sizeof(d), "%zu repairs (%s)", res->warnings, res->detail);
        report(hooks, res, MG_A_REPAIRED, d);
    }
    if (!mg_sink_write(out, buf, blen)) {
        set_detail(res, "writing the output failed");
        st = MG_PDF_NOMEM;
    }
done:
    qpdf_cleanup(&q);
    return res->status = st;
}

size_t mg_pdf_count_active(const uint8_t *data, size_t len, const struct mg_pdf_opts *opts)
{
    qpdf_data q = open_quiet();
    if (q == NULL)
        return SIZE_MAX;
    struct mg_pdf_result res;
    memset(&res, 0, sizeof(res));
    size_t found = SIZE_MAX;
    if (read_pdf(q, data, len, &res) == MG_PDF_OK) {
        char detail[256];
        size_t n = 0;
        if (mg_pdf_walk(q, data, len, opts, NULL, true, &n, detail, sizeof(detail)) == MG_PDF_OK)
            found = n;
    }
    qpdf_cleanup(&q);
    return found;
}
