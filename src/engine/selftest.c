#include "engine/selftest.h"

#include <stdio.h>
#include <string.h>

#include "engine/selftest_samples.h"
#include "sanitizers/registry.h"

#ifndef N_
#define N_(s) s
#endif

/* What the policy promises for a class: the job's verdict, and something
 * found in the verdict tree (an action kind, or a blocked item's reason). */
struct expect {
    enum mg_verdict verdict;
    const char *action;        /* an item with this action keyword, or NULL */
    const char *blocked_reason; /* an item BLOCKED for this reason keyword, or NULL */
    const char *blocked_reason2; /* ... or for this one */
    const char *text;          /* UTF-8 text an output must keep, or NULL */
};

struct scase {
    const char *id;
    const char *class_msgid;
    const char *expect_msgid;
    const char *name;
    enum mg_type_class forced;
    const char *needs[2];      /* sanitizers this class needs */
    bool (*make)(struct mg_buf *out);
    struct expect want;
};

static const struct scase cases[] = {
    { "docm-macro", N_("Word with a VBA macro (.docm, vbaProject.bin)"), N_("sanitized: macro removed"),
      "seikyusho.docm", MG_TC_UNKNOWN, { "ooxml", NULL }, mg_sample_docm,
      { MG_SANITIZED, "vba-removed", NULL, NULL, NULL } },
    { "docx-dde", N_("Word with a DDE field (DDEAUTO)"), N_("sanitized: DDE field removed"),
      "chumon.docx", MG_TC_UNKNOWN, { "ooxml", NULL }, mg_sample_dde,
      { MG_SANITIZED, "dde-removed", NULL, NULL, NULL } },
    { "docx-template", N_("Word with a remote template (attachedTemplate)"),
      N_("sanitized: external template reference removed"),
      "gijiroku.docx", MG_TC_UNKNOWN, { "ooxml", NULL }, mg_sample_template,
      { MG_SANITIZED, "template-removed", NULL, NULL, NULL } },
    { "pdf-javascript", N_("PDF with JavaScript (OpenAction)"), N_("sanitized: JavaScript removed"),
      "annai.pdf", MG_TC_UNKNOWN, { "pdf", NULL }, mg_sample_pdf_js,
      { MG_SANITIZED, "javascript-removed", NULL, NULL, NULL } },
    { "pdf-launch", N_("PDF with a Launch action"), N_("sanitized: automatic action removed"),
      "shiryo.pdf", MG_TC_UNKNOWN, { "pdf", NULL }, mg_sample_pdf_launch,
      { MG_SANITIZED, "action-removed", NULL, NULL, NULL } },
    { "pdf-embedded", N_("PDF with an embedded file (EmbeddedFiles)"), N_("sanitized: embedded file removed"),
      "tenpu.pdf", MG_TC_UNKNOWN, { "pdf", NULL }, mg_sample_pdf_embedded,
      { MG_SANITIZED, "attachment-removed", NULL, NULL, NULL } },
    { "rtf-object", N_("RTF with an embedded OLE object"), N_("sanitized: embedded object removed"),
      "hokoku.rtf", MG_TC_UNKNOWN, { "rtf", NULL }, mg_sample_rtf,
      { MG_SANITIZED, "ole-removed", NULL, NULL, NULL } },
    { "zip-nested", N_("Zip in a zip holding a program"), N_("sanitized: the program inside removed"),
      "shiryo.zip", MG_TC_UNKNOWN, { "archive", NULL }, mg_sample_nested_zip,
      { MG_SANITIZED, NULL, "executable", "type-mismatch", NULL } },
    { "zip-encrypted", N_("Password-protected zip (PPAP)"), N_("blocked: encrypted"),
      "mitsumori.zip", MG_TC_UNKNOWN, { "archive", NULL }, mg_sample_ppap,
      { MG_BLOCKED, NULL, "encrypted", NULL, NULL } },
    { "mail-iso2022jp-html", N_("ISO-2022-JP HTML mail with a script"),
      N_("sanitized: HTML made text, Japanese kept"),
      "message.eml", MG_TC_MAIL, { "mail", "html" }, mg_sample_mail_2022,
      { MG_SANITIZED, "html-to-text", NULL, NULL, "\xe4\xbc\x9a\xe8\xad\xb0\xe8\xb3\x87\xe6\x96\x99" /* 会議資料 */ } },
    { "eicar", N_("EICAR anti-virus test file"), N_("blocked: virus"),
      "eicar.txt", MG_TC_UNKNOWN, { NULL, NULL }, mg_sample_eicar,
      { MG_BLOCKED, NULL, "virus", NULL, NULL } },
    { "exe-as-pdf", N_("Windows program named .pdf"), N_("blocked: program / type mismatch"),
      "seikyusho.pdf", MG_TC_UNKNOWN, { NULL, NULL }, mg_sample_exe_as_pdf,
      { MG_BLOCKED, NULL, "type-mismatch", "executable", NULL } },
};

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

size_t mg_selftest_count(void)
{
    return N_CASES;
}

bool mg_selftest_sample(size_t i, const char **name, uint8_t **data, size_t *len)
{
    if (i >= N_CASES)
        return false;
    struct mg_buf b;
    mg_buf_init(&b);
    if (!cases[i].make(&b) || mg_buf_failed(&b)) {
        mg_buf_free(&b);
        return false;
    }
    *name = cases[i].name;
    *data = mg_buf_steal(&b, len);
    return *data != NULL;
}

struct found {
    bool action, blocked, text;
};

/* The text as it is, or inside a base64 body (a rebuilt mail's text part
 * is base64 UTF-8): each "base64" header's body is decoded and searched. */
static bool has_text(struct mg_item *it, const char *text)
{
    size_t len = 0;
    const uint8_t *out = it->verdict == MG_SANITIZED || it->verdict == MG_CLEAN ? mg_item_result(it, &len) : NULL;
    if (out == NULL || len == 0)
        return false;
    if (memmem(out, len, text, strlen(text)) != NULL)
        return true;
    static const char cte[] = "Content-Transfer-Encoding: base64";
    const uint8_t *p = out, *end = out + len;
    for (int guard = 0; guard < 64; guard++) {
        const uint8_t *h = memmem(p, (size_t)(end - p), cte, sizeof(cte) - 1);
        if (h == NULL)
            return false;
        const uint8_t *body = memmem(h, (size_t)(end - h), "\r\n\r\n", 4);
        if (body == NULL)
            return false;
        body += 4;
        const uint8_t *stop = memmem(body, (size_t)(end - body), "\r\n\r\n", 4);
        const uint8_t *dash = memmem(body, (size_t)(end - body), "\r\n--", 4);
        if (stop == NULL || (dash && dash < stop))
            stop = dash ? dash : end;
        char *b64 = g_strndup((const char *)body, (size_t)(stop - body));
        gsize n = 0;
        guchar *dec = g_base64_decode(b64, &n); /* skips the line breaks */
        bool hit = dec && n > 0 && memmem(dec, n, text, strlen(text)) != NULL;
        g_free(dec);
        g_free(b64);
        if (hit)
            return true;
        p = stop;
    }
    return false;
}

/* Depth is bounded by [limits] max-depth; 64 is the hard stop. */
static void walk(struct mg_item *it, const struct expect *w, unsigned depth, struct found *f)
{
    for (size_t i = 0; w->action && i < it->n_actions; i++)
        if (strcmp(mg_action_keyword(it->actions[i].action), w->action) == 0)
            f->action = true;
    if (it->verdict == MG_BLOCKED && w->blocked_reason) {
        const char *r = mg_reason_keyword(it->reason);
        if (strcmp(r, w->blocked_reason) == 0 || (w->blocked_reason2 && strcmp(r, w->blocked_reason2) == 0))
            f->blocked = true;
    }
    if (w->text && !f->text && has_text(it, w->text))
        f->text = true;
    if (depth < 64)
        for (size_t i = 0; i < it->n_children; i++)
            walk(it->children[i], w, depth + 1, f);
}

/* "sanitized (sanitized): vba-removed, item-removed" — the root's verdict
 * and reason, then every distinct action kind, and blocked items' reasons. */
static void describe(struct mg_item *it, unsigned depth, struct mg_buf *acts)
{
    for (size_t i = 0; i < it->n_actions; i++) {
        const char *k = mg_action_keyword(it->actions[i].action);
        if (!memmem(acts->data ? acts->data : (const uint8_t *)"", acts->len, k, strlen(k)))
            mg_buf_printf(acts, "%s%s", acts->len ? ", " : "", k);
    }
    if (depth > 0 && it->verdict == MG_BLOCKED) {
        char k[64];
        snprintf(k, sizeof(k), "blocked:%s", mg_reason_keyword(it->reason));
        if (!memmem(acts->data ? acts->data : (const uint8_t *)"", acts->len, k, strlen(k)))
            mg_buf_printf(acts, "%s%s", acts->len ? ", " : "", k);
    }
    if (depth < 64)
        for (size_t i = 0; i < it->n_children; i++)
            describe(it->children[i], depth + 1, acts);
}

bool mg_selftest_run(struct mg_engine *e, size_t i, struct mg_selftest_result *out)
{
    memset(out, 0, sizeof(*out));
    if (i >= N_CASES)
        return false;
    const struct scase *c = &cases[i];
    out->id = c->id;
    out->class_msgid = c->class_msgid;
    out->expect_msgid = c->expect_msgid;
    out->status = MG_ST_NG;
    for (size_t k = 0; k < 2; k++) {
        if (c->needs[k] && mg_registry_by_name(c->needs[k]) == NULL) {
            snprintf(out->actual, sizeof(out->actual), "no \"%s\" sanitizer in this build", c->needs[k]);
            out->status = MG_ST_UNAVAILABLE;
            /* Still run it: the table shows what this build does with it. */
        }
    }
    const char *name;
    uint8_t *data = NULL;
    size_t len = 0;
    if (!mg_selftest_sample(i, &name, &data, &len)) {
        snprintf(out->actual, sizeof(out->actual), "sample could not be built");
        out->status = MG_ST_NG;
        return false;
    }
    struct mg_job *job = mg_job_new(e, NULL);
    if (job == NULL) {
        g_free(data);
        snprintf(out->actual, sizeof(out->actual), "no job (out of memory)");
        out->status = MG_ST_NG;
        return false;
    }
    struct mg_item *root = mg_job_run(job, name, data, len, c->forced);
    enum mg_verdict v = mg_job_verdict(job);
    struct found f = { 0 };
    walk(root, &c->want, 0, &f);
    bool ok = v == c->want.verdict && (!c->want.action || f.action) &&
              (!c->want.blocked_reason || f.blocked) && (!c->want.text || f.text);
    struct mg_buf acts;
    mg_buf_init(&acts);
    describe(root, 0, &acts);
    if (c->want.text && !f.text)
        mg_buf_printf(&acts, "%stext lost", acts.len ? ", " : "");
    char actual[256];
    snprintf(actual, sizeof(actual), "%s (%s)%s%s", mg_verdict_name(v), mg_reason_keyword(root->reason),
             acts.len ? ": " : "", acts.len ? mg_buf_cstr(&acts) : "");
    mg_buf_free(&acts);
    if (out->status == MG_ST_UNAVAILABLE) {
        /* Never OK without the sanitizer, whatever the outcome was. */
        size_t l = strlen(out->actual);
        snprintf(out->actual + l, sizeof(out->actual) - l, "; %s", actual);
    } else {
        g_strlcpy(out->actual, actual, sizeof(out->actual));
        out->status = ok ? MG_ST_OK : MG_ST_NG;
    }
    mg_job_free(job);
    g_free(data);
    return true;
}
