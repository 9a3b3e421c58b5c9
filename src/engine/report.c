/* The three renderings of a job: JSON report, audit line, notice text. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/json.h"
#include "engine/engine_private.h"
#include "engine/report.h"
#include "mg_config.h"
#include "scan/scanner.h"

static void iso_time(time_t t, char *buf, size_t len)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void hits_json(struct mg_json *j, const char *key, const struct mg_engine *e,
                      const struct mg_ind_hits *h)
{
    mg_json_arr_begin(j, key);
    uint32_t n = h->count < 64 ? h->count : 64;
    for (uint32_t i = 0; i < n; i++) {
        const struct mg_indicator *ind = mg_indicators_get(e->indicators, h->ids[i]);
        if (ind)
            mg_json_str(j, NULL, ind->name);
    }
    mg_json_arr_end(j);
}

/* Recursion depth is bounded by [limits] max-depth (at most 64), which the
 * JSON writer's own depth cap also covers. */
static void item_json(struct mg_json *j, const char *key, const struct mg_engine *e,
                      const struct mg_item *it)
{
    mg_json_obj_begin(j, key);
    mg_json_str(j, "path", it->path);
    mg_json_str(j, "name", it->name);
    mg_json_obj_begin(j, "type");
    mg_json_str(j, "class", mg_type_class_name(it->type.cls));
    mg_json_str(j, "mime", it->type.mime);
    mg_json_str(j, "description", it->type.desc);
    mg_json_str(j, "extension", it->type.ext);
    mg_json_str(j, "name_class", mg_type_class_name(it->type.name_cls));
    mg_json_bool(j, "mismatch", it->type.mismatch);
    mg_json_obj_end(j);
    mg_json_uint(j, "size", it->len);
    mg_json_str(j, "sha256", it->sha256_in);
    mg_json_str(j, "verdict", mg_verdict_name(it->verdict));
    mg_json_str(j, "reason", mg_reason_keyword(it->reason));
    mg_json_str(j, "detail", it->reason_detail);
    if (it->sanitizer) {
        mg_json_obj_begin(j, "sanitizer");
        mg_json_str(j, "name", it->sanitizer);
        mg_json_str(j, "version", it->sanitizer_version);
        mg_json_obj_end(j);
    } else {
        mg_json_null(j, "sanitizer");
    }
    if (it->verdict == MG_SANITIZED || it->verdict == MG_CLEAN) {
        mg_json_obj_begin(j, "output");
        mg_json_str(j, "name", mg_item_result_name(it));
        mg_json_uint(j, "size", it->verdict == MG_SANITIZED && it->out ? mg_spool_size(it->out) : it->len);
        mg_json_str(j, "sha256", it->sha256_out);
        mg_json_str(j, "mime", it->out_mime);
        mg_json_obj_end(j);
    } else {
        mg_json_null(j, "output");
    }
    mg_json_arr_begin(j, "actions");
    for (size_t i = 0; i < it->n_actions; i++) {
        mg_json_obj_begin(j, NULL);
        mg_json_str(j, "action", mg_action_keyword(it->actions[i].action));
        mg_json_str(j, "detail", it->actions[i].detail);
        mg_json_obj_end(j);
    }
    mg_json_arr_end(j);
    mg_json_obj_begin(j, "indicators");
    hits_json(j, "before", e, &it->ind_before);
    hits_json(j, "after", e, &it->ind_after);
    mg_json_obj_end(j);
    mg_json_str(j, "antivirus", it->av_signature);
    mg_json_arr_begin(j, "children");
    for (size_t i = 0; i < it->n_children; i++)
        item_json(j, NULL, e, it->children[i]);
    mg_json_arr_end(j);
    mg_json_obj_end(j);
}

static void head_json(struct mg_json *j, const struct mg_job *job)
{
    char ts[32];
    iso_time(job->wall_started, ts, sizeof(ts));
    mg_json_str(j, "job", job->id);
    mg_json_str(j, "started", ts);
    mg_json_double(j, "elapsed_ms", mg_job_elapsed(job) * 1000.0);
    const struct mg_item *r = job->root;
    mg_json_str(j, "verdict", mg_verdict_name(mg_job_verdict(job)));
    mg_json_str(j, "reason", r ? mg_reason_keyword(r->reason) : "resources");
    mg_json_obj_begin(j, "engine");
    mg_json_str(j, "mugai", MG_VERSION);
    mg_json_str(j, "scanner", mg_scanner_impl_name());
    mg_json_str(j, "antivirus", mg_av_describe(job->engine->av));
    mg_json_bool(j, "antivirus_system_db", mg_av_has_system_db(job->engine->av));
    mg_json_str(j, "policy_sha256", job->engine->policy->hash);
    mg_json_obj_end(j);
}

/* Indentation is added afterwards so that item_json stays one code path. */
static void indent(const struct mg_buf *in, struct mg_buf *out)
{
    int depth = 0;
    bool in_str = false, esc = false;
    for (size_t i = 0; i < in->len; i++) {
        char c = (char)in->data[i];
        if (in_str) {
            mg_buf_putc(out, (uint8_t)c);
            if (esc)
                esc = false;
            else if (c == '\\')
                esc = true;
            else if (c == '"')
                in_str = false;
            continue;
        }
        switch (c) {
        case '"':
            in_str = true;
            mg_buf_putc(out, '"');
            break;
        case '{':
        case '[':
            depth++;
            mg_buf_putc(out, (uint8_t)c);
            if (i + 1 < in->len && (in->data[i + 1] == '}' || in->data[i + 1] == ']'))
                break;
            mg_buf_printf(out, "\n%*s", depth * 2, "");
            break;
        case '}':
        case ']':
            depth--;
            if (i > 0 && (in->data[i - 1] == '{' || in->data[i - 1] == '[')) {
                mg_buf_putc(out, (uint8_t)c);
                break;
            }
            mg_buf_printf(out, "\n%*s%c", depth * 2, "", c);
            break;
        case ',':
            mg_buf_printf(out, ",\n%*s", depth * 2, "");
            break;
        case ':':
            mg_buf_puts(out, ": ");
            break;
        default:
            mg_buf_putc(out, (uint8_t)c);
        }
    }
    mg_buf_putc(out, '\n');
}

void mg_report_json(const struct mg_job *job, struct mg_buf *out, bool pretty)
{
    struct mg_buf tmp;
    mg_buf_init(&tmp);
    struct mg_json j;
    mg_json_init(&j, pretty ? &tmp : out);
    mg_json_obj_begin(&j, NULL);
    mg_json_str(&j, "schema", "mugai-report/1");
    head_json(&j, job);
    if (job->root)
        item_json(&j, "root", job->engine, job->root);
    mg_json_obj_end(&j);
    if (pretty)
        indent(&tmp, out);
    mg_buf_free(&tmp);
}

static void flat_items(struct mg_json *j, const struct mg_item *it, unsigned depth)
{
    mg_json_obj_begin(j, NULL);
    mg_json_str(j, "path", it->path);
    mg_json_str(j, "class", mg_type_class_name(it->type.cls));
    mg_json_uint(j, "size", it->len);
    mg_json_str(j, "sha256_in", it->sha256_in);
    mg_json_str(j, "sha256_out", it->sha256_out[0] ? it->sha256_out : NULL);
    mg_json_str(j, "verdict", mg_verdict_name(it->verdict));
    mg_json_str(j, "reason", mg_reason_keyword(it->reason));
    if (it->reason_detail)
        mg_json_str(j, "detail", it->reason_detail);
    if (it->n_actions) {
        mg_json_arr_begin(j, "actions");
        for (size_t i = 0; i < it->n_actions; i++)
            mg_json_str(j, NULL, mg_action_keyword(it->actions[i].action));
        mg_json_arr_end(j);
    }
    mg_json_obj_end(j);
    if (depth < 64)
        for (size_t i = 0; i < it->n_children; i++)
            flat_items(j, it->children[i], depth + 1);
}

void mg_report_audit(const struct mg_job *job, struct mg_buf *out)
{
    struct mg_json j;
    mg_json_init(&j, out);
    mg_json_obj_begin(&j, NULL);
    head_json(&j, job);
    mg_json_arr_begin(&j, "items");
    if (job->root)
        flat_items(&j, job->root, 0);
    mg_json_arr_end(&j);
    mg_json_obj_end(&j);
}

void mg_report_notice(const struct mg_job *job, struct mg_buf *out)
{
    const struct mg_item *r = job->root;
    if (r == NULL)
        return;
    mg_buf_puts(out, mg_job_gettext(job, N_("[mugai] Sanitizing report")));
    mg_buf_printf(out, " (%s)\n", job->id);
    if (r->verdict == MG_BLOCKED || r->verdict == MG_TEMPFAIL) {
        mg_notice_removed(job, r, out);
        return;
    }
    size_t before = out->len;
    mg_notice_actions(job, r, out);
    if (out->len == before) {
        mg_buf_puts(out, mg_job_gettext(job, mg_reason_msgid(MG_R_NONE)));
        mg_buf_putc(out, '\n');
    }
}
