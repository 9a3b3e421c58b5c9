/* The result of a job as plain data: filled from a finished job (in the
 * worker, or in-process with mode = off), and carried over a frame. */
#include <errno.h>
#include <math.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "engine/audit.h"
#include "engine/report.h"
#include "sandbox/frame.h"
#include "sandbox/sandbox_private.h"
#include "scan/indicators.h"

#define MAX_STR (16u << 20)    /* any one string field; frames are bounded anyway */
#define MAX_NODES 1000000u

static char *buf_to_str(struct mg_buf *b)
{
    char *s = g_strndup(b->len ? (const char *)b->data : "", b->len);
    mg_buf_free(b);
    return s;
}

static void add_nodes(struct mg_job *job, const struct mg_item *it, GArray *out)
{
    struct mg_sandbox_node n = {
        .depth = it->depth,
        .path = g_strdup(it->path ? it->path : ""),
        .type_class = g_strdup(mg_type_class_name(it->type.cls)),
        .mime = g_strdup(it->type.mime),
        .mismatch = it->type.mismatch,
        .av_signature = g_strdup(it->av_signature),
        .verdict = it->verdict,
        .reason = it->reason,
        .reason_text = g_strdup(mg_job_gettext(job, mg_reason_msgid(it->reason))),
        .reason_detail = g_strdup(it->reason_detail),
    };
    struct mg_buf b;
    mg_buf_init(&b);
    const struct mg_indicator_set *set = mg_engine_indicators(mg_job_engine(job));
    uint32_t k = it->ind_before.count < 64 ? it->ind_before.count : 64;
    for (uint32_t i = 0; i < k; i++) {
        const struct mg_indicator *ind = mg_indicators_get(set, it->ind_before.ids[i]);
        mg_buf_printf(&b, "%s%s", i ? " " : "", ind ? ind->name : "?");
    }
    n.indicators = buf_to_str(&b);
    mg_buf_init(&b);
    for (size_t i = 0; i < it->n_actions; i++)
        mg_buf_printf(&b, "%s: %s\n", mg_action_keyword(it->actions[i].action), it->actions[i].detail);
    n.actions = buf_to_str(&b);
    g_array_append_val(out, n);
    for (size_t i = 0; i < it->n_children; i++)
        add_nodes(job, it->children[i], out);
}

void mg_sandbox_result_from_job(struct mg_job *job, struct mg_sandbox_result *res)
{
    memset(res, 0, sizeof(*res));
    struct mg_item *root = mg_job_root(job);
    g_strlcpy(res->job_id, mg_job_id(job), sizeof(res->job_id));
    res->verdict = root->verdict;
    res->reason = root->reason;
    res->reason_detail = g_strdup(root->reason_detail);
    res->reason_text = g_strdup(mg_job_gettext(job, mg_reason_msgid(root->reason)));
    res->elapsed = mg_job_elapsed(job);
    if (root->verdict == MG_CLEAN || root->verdict == MG_SANITIZED) {
        size_t len = 0;
        const uint8_t *p = mg_item_result(root, &len);
        if (p == NULL) {
            /* The rebuilt bytes cannot be read back (spool failure): nothing
             * may leave, so the job becomes a temporary failure. */
            res->verdict = MG_TEMPFAIL;
            res->reason = MG_R_RESOURCES;
            g_free(res->reason_detail);
            res->reason_detail = g_strdup("result unreadable");
        } else {
            res->out_map = g_memdup2(len ? p : (const uint8_t *)"", len ? len : 1);
            res->out_map_len = len;
            res->output = res->out_map;
            res->output_len = len;
        }
    }
    res->result_name = g_strdup(mg_item_result_name(root));
    res->out_name = g_strdup(root->out_name);
    res->out_mime = g_strdup(root->out_mime);
    struct mg_buf b;
    mg_buf_init(&b);
    mg_report_json(job, &b, false);
    res->report_json = buf_to_str(&b);
    mg_buf_init(&b);
    mg_report_json(job, &b, true);
    res->report_pretty = buf_to_str(&b);
    mg_buf_init(&b);
    mg_audit_render(mg_job_policy(job), job, &b);
    res->audit_line = buf_to_str(&b);
    mg_buf_init(&b);
    mg_report_notice(job, &b);
    res->notice = buf_to_str(&b);
    GArray *nodes = g_array_new(FALSE, TRUE, sizeof(struct mg_sandbox_node));
    add_nodes(job, root, nodes);
    res->n_nodes = nodes->len;
    res->nodes = (struct mg_sandbox_node *)(void *)g_array_free(nodes, FALSE);
}

static void node_clear(struct mg_sandbox_node *n)
{
    g_free(n->path);
    g_free(n->type_class);
    g_free(n->mime);
    g_free(n->indicators);
    g_free(n->av_signature);
    g_free(n->reason_text);
    g_free(n->reason_detail);
    g_free(n->actions);
}

void mg_sandbox_result_clear(struct mg_sandbox_result *res)
{
    if (res->out_mapped) {
        if (res->out_map_len)
            munmap(res->out_map, res->out_map_len);
    } else {
        g_free(res->out_map);
    }
    g_free(res->reason_detail);
    g_free(res->reason_text);
    g_free(res->result_name);
    g_free(res->out_name);
    g_free(res->out_mime);
    g_free(res->report_json);
    g_free(res->report_pretty);
    g_free(res->audit_line);
    g_free(res->notice);
    g_free(res->worker_failure);
    for (size_t i = 0; i < res->n_nodes; i++)
        node_clear(&res->nodes[i]);
    g_free(res->nodes);
    memset(res, 0, sizeof(*res));
}

/* Output: 0 = none, 1 = inline bytes, 2 = in the passed memfd. */
bool mg_sandbox_result_encode(const struct mg_sandbox_result *res, const struct mg_sandbox_limits *lim,
                              struct mg_buf *b, int *fd)
{
    *fd = -1;
    mg_frame_put_bytes(b, res->job_id, strnlen(res->job_id, sizeof(res->job_id) - 1));
    mg_frame_put_u32(b, (uint32_t)res->verdict);
    mg_frame_put_u32(b, (uint32_t)res->reason);
    mg_frame_put_str(b, res->reason_detail);
    mg_frame_put_str(b, res->reason_text);
    if (res->output == NULL) {
        mg_frame_put_u32(b, 0);
    } else if (res->output_len <= lim->inline_max) {
        mg_frame_put_u32(b, 1);
        mg_frame_put_bytes(b, res->output, res->output_len);
    } else {
        *fd = mg_frame_memfd(res->output, res->output_len);
        if (*fd < 0)
            return false;
        mg_frame_put_u32(b, 2);
    }
    mg_frame_put_str(b, res->result_name);
    mg_frame_put_str(b, res->out_name);
    mg_frame_put_str(b, res->out_mime);
    mg_frame_put_str(b, res->report_json);
    mg_frame_put_str(b, res->report_pretty);
    mg_frame_put_str(b, res->audit_line);
    mg_frame_put_str(b, res->notice);
    mg_frame_put_u64(b, res->elapsed > 0 ? (uint64_t)llround(res->elapsed * 1e6) : 0);
    mg_frame_put_u32(b, (uint32_t)res->n_nodes);
    for (size_t i = 0; i < res->n_nodes; i++) {
        const struct mg_sandbox_node *n = &res->nodes[i];
        mg_frame_put_u32(b, n->depth);
        mg_frame_put_str(b, n->path);
        mg_frame_put_str(b, n->type_class);
        mg_frame_put_str(b, n->mime);
        mg_frame_put_u32(b, n->mismatch);
        mg_frame_put_str(b, n->indicators);
        mg_frame_put_str(b, n->av_signature);
        mg_frame_put_u32(b, (uint32_t)n->verdict);
        mg_frame_put_u32(b, (uint32_t)n->reason);
        mg_frame_put_str(b, n->reason_text);
        mg_frame_put_str(b, n->reason_detail);
        mg_frame_put_str(b, n->actions);
    }
    if (mg_buf_failed(b) || b->len > lim->max_frame) {
        if (*fd >= 0)
            close(*fd);
        *fd = -1;
        return false;
    }
    return true;
}

static bool verdict_ok(uint32_t v)
{
    return v <= MG_TEMPFAIL;
}

bool mg_sandbox_result_decode(struct mg_sandbox_result *res, const struct mg_sandbox_limits *lim,
                              const uint8_t *p, size_t len, int fd)
{
    memset(res, 0, sizeof(*res));
    struct mg_frame_reader r;
    mg_frame_reader_init(&r, p, len);
    size_t idlen;
    const uint8_t *id = mg_frame_get_bytes(&r, sizeof(res->job_id) - 1, &idlen);
    bool id_ok = id != NULL && idlen > 0;
    for (size_t i = 0; id_ok && i < idlen; i++)   /* ids name files: [A-Za-z0-9._-] only */
        id_ok = g_ascii_isalnum(id[i]) || id[i] == '-' || id[i] == '_' || id[i] == '.';
    if (id_ok)
        memcpy(res->job_id, id, idlen);
    uint32_t v = mg_frame_get_u32(&r), why = mg_frame_get_u32(&r);
    res->reason_detail = mg_frame_get_str(&r, MAX_STR);
    res->reason_text = mg_frame_get_str(&r, MAX_STR);
    uint32_t how = mg_frame_get_u32(&r);
    bool ok = id_ok && !r.bad && verdict_ok(v) && why < MG_R__COUNT && how <= 2 && (how == 2) == (fd >= 0);
    res->verdict = (enum mg_verdict)v;
    res->reason = (enum mg_reason)why;
    if (ok && how == 1) {
        size_t n;
        const uint8_t *q = mg_frame_get_bytes(&r, lim->inline_max, &n);
        if (q != NULL) {
            res->out_map = g_memdup2(n ? q : (const uint8_t *)"", n ? n : 1);
            res->out_map_len = n;
            res->output = res->out_map;
            res->output_len = n;
        }
    } else if (ok && how == 2) {
        size_t n;
        uint8_t *m = mg_frame_map_fd(fd, lim->max_output, &n);
        if (m == NULL) {
            ok = false;
        } else {
            res->out_mapped = true;
            res->out_map = n ? m : NULL;
            res->out_map_len = n;
            res->output = m;
            res->output_len = n;
        }
    }
    if (fd >= 0)
        close(fd);
    res->result_name = mg_frame_get_str(&r, 4096);
    res->out_name = mg_frame_get_str(&r, 4096);
    res->out_mime = mg_frame_get_str(&r, 1024);
    res->report_json = mg_frame_get_str(&r, MAX_STR);
    res->report_pretty = mg_frame_get_str(&r, MAX_STR);
    res->audit_line = mg_frame_get_str(&r, MAX_STR);
    res->notice = mg_frame_get_str(&r, MAX_STR);
    uint64_t us = mg_frame_get_u64(&r);
    if (us > ((uint64_t)1 << 40))   /* 12 days: no job runs that long */
        ok = false;
    res->elapsed = (double)us / 1e6;
    uint32_t nn = mg_frame_get_u32(&r);
    /* Each node takes at least 48 bytes: a count beyond that is a lie. */
    if (r.bad || nn > MAX_NODES || (size_t)nn > (r.len - r.off) / 48 + 1)
        ok = false;
    if (ok) {
        res->nodes = g_new0(struct mg_sandbox_node, nn ? nn : 1);
        res->n_nodes = nn;
        for (uint32_t i = 0; i < nn && !r.bad; i++) {
            struct mg_sandbox_node *n = &res->nodes[i];
            n->depth = mg_frame_get_u32(&r);
            n->path = mg_frame_get_str(&r, MAX_STR);
            n->type_class = mg_frame_get_str(&r, 64);
            n->mime = mg_frame_get_str(&r, 1024);
            uint32_t mm = mg_frame_get_u32(&r);
            if (mm > 1)
                r.bad = true;
            n->mismatch = mm != 0;
            n->indicators = mg_frame_get_str(&r, MAX_STR);
            n->av_signature = mg_frame_get_str(&r, 4096);
            uint32_t nv = mg_frame_get_u32(&r), nr = mg_frame_get_u32(&r);
            if (!verdict_ok(nv) || nr >= MG_R__COUNT)
                r.bad = true;
            n->verdict = (enum mg_verdict)nv;
            n->reason = (enum mg_reason)nr;
            n->reason_text = mg_frame_get_str(&r, MAX_STR);
            n->reason_detail = mg_frame_get_str(&r, MAX_STR);
            n->actions = mg_frame_get_str(&r, MAX_STR);
        }
    }
    /* Fields a front end prints must exist; a frame with trailing bytes or
     * a missing piece is a broken worker, not a verdict. */
    ok = ok && mg_frame_done(&r) && res->result_name && res->report_json && res->report_pretty &&
         res->audit_line && res->notice && res->reason_text && res->n_nodes > 0 &&
         ((res->verdict == MG_CLEAN || res->verdict == MG_SANITIZED) == (res->output != NULL));
    if (!ok) {
        mg_sandbox_result_clear(res);
        errno = EPROTO;
    }
    return ok;
}

bool mg_sandbox_result_changed(const struct mg_sandbox_result *res)
{
    for (size_t i = 0; i < res->n_nodes; i++) {
        const struct mg_sandbox_node *n = &res->nodes[i];
        if (*n->actions || n->verdict == MG_BLOCKED || n->verdict == MG_TEMPFAIL)
            return true;
    }
    return false;
}

bool mg_sandbox_result_any_blocked(const struct mg_sandbox_result *res)
{
    for (size_t i = 0; i < res->n_nodes; i++)
        if (res->nodes[i].verdict == MG_BLOCKED)
            return true;
    return false;
}
