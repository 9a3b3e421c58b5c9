/* Items: one node of a job's verdict tree, and the helpers sanitizers use
 * to record what they did. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_private.h"

static const char *const verdict_names[] = { "clean", "sanitized", "blocked", "tempfail" };

static const char *const reason_keywords[] = {
#define MG_REASON(id, kw, smtp, icap, msg) kw,
#include "engine/reasons.def"
#undef MG_REASON
};
static const char *const reason_smtp[] = {
#define MG_REASON(id, kw, smtp, icap, msg) smtp,
#include "engine/reasons.def"
#undef MG_REASON
};
static const int reason_http[] = {
#define MG_REASON(id, kw, smtp, icap, msg) icap,
#include "engine/reasons.def"
#undef MG_REASON
};
static const char *const reason_msgids[] = {
#define MG_REASON(id, kw, smtp, icap, msg) msg,
#include "engine/reasons.def"
#undef MG_REASON
};
static const char *const action_keywords[] = {
#define MG_ACTION(id, kw, msg) kw,
#include "engine/actions.def"
#undef MG_ACTION
};
static const char *const action_msgids[] = {
#define MG_ACTION(id, kw, msg) msg,
#include "engine/actions.def"
#undef MG_ACTION
};

const char *mg_verdict_name(enum mg_verdict v)
{
    return (unsigned)v < 4 ? verdict_names[v] : "invalid";
}

const char *mg_reason_keyword(enum mg_reason r)
{
    return (unsigned)r < MG_R__COUNT ? reason_keywords[r] : "invalid";
}

const char *mg_reason_smtp_status(enum mg_reason r)
{
    return (unsigned)r < MG_R__COUNT ? reason_smtp[r] : "4.3.0";
}

int mg_reason_http_status(enum mg_reason r)
{
    return (unsigned)r < MG_R__COUNT ? reason_http[r] : 500;
}

const char *mg_reason_msgid(enum mg_reason r)
{
    return (unsigned)r < MG_R__COUNT ? reason_msgids[r] : reason_msgids[MG_R_INTERNAL];
}

const char *mg_action_keyword(enum mg_action a)
{
    return (unsigned)a < MG_A__COUNT ? action_keywords[a] : "invalid";
}

const char *mg_action_msgid(enum mg_action a);
const char *mg_action_msgid(enum mg_action a)
{
    return (unsigned)a < MG_A__COUNT ? action_msgids[a] : "%s";
}

enum mg_verdict mg_verdict_merge(enum mg_verdict container, enum mg_verdict child)
{
    enum mg_verdict c = child == MG_BLOCKED ? MG_SANITIZED : child;
    return c > container ? c : container;
}

void mg_item_action(struct mg_item *it, enum mg_action a, const char *detail)
{
    if (it->n_actions == it->cap_actions) {
        size_t cap = it->cap_actions ? it->cap_actions * 2 : 4;
        struct mg_action_rec *p = realloc(it->actions, cap * sizeof(*p));
        if (p == NULL)
            return; /* the verdict stands; only the annotation is lost */
        it->actions = p;
        it->cap_actions = cap;
    }
    char *d = strdup(detail ? detail : "");
    if (d == NULL)
        return;
    it->actions[it->n_actions++] = (struct mg_action_rec){ .action = a, .detail = d };
}

void mg_item_actionf(struct mg_item *it, enum mg_action a, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    mg_item_action(it, a, buf);
}

static void set_reason(struct mg_item *it, enum mg_reason r, const char *detail)
{
    it->reason = r;
    free(it->reason_detail);
    it->reason_detail = detail ? strdup(detail) : NULL;
}

enum mg_verdict mg_item_block(struct mg_item *it, enum mg_reason r, const char *detail)
{
    it->verdict = MG_BLOCKED;
    set_reason(it, r, detail);
    return MG_BLOCKED;
}

enum mg_verdict mg_item_tempfail(struct mg_item *it, enum mg_reason r, const char *detail)
{
    it->verdict = MG_TEMPFAIL;
    set_reason(it, r, detail);
    return MG_TEMPFAIL;
}

enum mg_verdict mg_item_emit(struct mg_job *job, struct mg_item *in, struct mg_sink *out,
                             const void *data, size_t len)
{
    if (!mg_job_charge(job, len))
        return mg_item_block(in, MG_R_LIMIT_SIZE, "total size of the job");
    if (len > 0 && !mg_sink_write(out, data, len))
        return mg_item_tempfail(in, MG_R_RESOURCES, "write");
    return MG_SANITIZED;
}

void mg_item_set_out_name(struct mg_item *it, const char *name)
{
    free(it->out_name);
    it->out_name = name ? strdup(name) : NULL;
}

void mg_item_set_out_mime(struct mg_item *it, const char *mime)
{
    free(it->out_mime);
    it->out_mime = mime ? strdup(mime) : NULL;
}

const uint8_t *mg_item_result(struct mg_item *it, size_t *len)
{
    *len = 0;
    switch (it->verdict) {
    case MG_CLEAN:
        *len = it->len;
        return it->len ? it->data : (const uint8_t *)"";
    case MG_SANITIZED:
        if (it->out == NULL)
            return (const uint8_t *)"";
        {
            const uint8_t *p = mg_spool_view(it->out, len);
            return p ? p : (const uint8_t *)"";
        }
    default:
        return NULL;
    }
}

const char *mg_item_result_name(const struct mg_item *it)
{
    return it->out_name ? it->out_name : it->name;
}

void mg_item_free(struct mg_item *it);
void mg_item_free(struct mg_item *it)
{
    if (it == NULL)
        return;
    /* Recursion depth is bounded by [limits] max-depth (at most 64). */
    for (size_t i = 0; i < it->n_children; i++)
        mg_item_free(it->children[i]);
    free(it->children);
    for (size_t i = 0; i < it->n_actions; i++)
        free(it->actions[i].detail);
    free(it->actions);
    free(it->name);
    free(it->path);
    free(it->reason_detail);
    free(it->out_name);
    free(it->out_mime);
    free(it->av_signature);
    free(it);
}
