/* Notices for people, in the job's language: one sentence per removed item
 * and one line per action. Texts come from the reason and action tables
 * (msgids), translated through gettext. */
#include <libintl.h>
#include <stdio.h>
#include <string.h>

#include "engine/engine_private.h"

const char *mg_action_msgid(enum mg_action a);

const char *mg_job_gettext(const struct mg_job *job, const char *msgid)
{
    if (job->engine->policy->lang == MG_LANG_EN)
        return msgid;
    return dgettext("mugai", msgid);
}

#define T(s) mg_job_gettext(job, s)

/* Formats a msgid holding one %s without trusting the translation's format:
 * only the first "%s" is replaced, everything else is copied literally. */
static void put_one_arg(struct mg_buf *out, const char *fmt, const char *arg)
{
    const char *p = strstr(fmt, "%s");
    if (p == NULL) {
        mg_buf_puts(out, fmt);
        return;
    }
    mg_buf_append(out, fmt, (size_t)(p - fmt));
    mg_buf_puts(out, arg);
    mg_buf_puts(out, p + 2);
}

static const char *display_name(const struct mg_item *it)
{
    return (it->name && *it->name) ? it->name : it->path;
}

void mg_notice_removed(const struct mg_job *job, const struct mg_item *it, struct mg_buf *out)
{
    put_one_arg(out, T(N_("\"%s\" was removed.")), display_name(it));
    mg_buf_putc(out, ' ');
    put_one_arg(out, T(N_("Reason: %s")), T(mg_reason_msgid(it->reason)));
    if (it->reason_detail && *it->reason_detail) {
        mg_buf_puts(out, " (");
        mg_buf_puts(out, it->reason_detail);
        mg_buf_putc(out, ')');
    }
    mg_buf_putc(out, '\n');
}

static void actions_of(const struct mg_job *job, const struct mg_item *it, struct mg_buf *out,
                       unsigned depth)
{
    for (size_t i = 0; i < it->n_actions; i++) {
        mg_buf_puts(out, "- ");
        if (it->depth > 0 || it->parent == NULL) {
            mg_buf_puts(out, display_name(it));
            mg_buf_puts(out, ": ");
        }
        put_one_arg(out, T(mg_action_msgid(it->actions[i].action)), it->actions[i].detail);
        mg_buf_putc(out, '\n');
    }
    if (depth > 64)
        return;
    for (size_t i = 0; i < it->n_children; i++) {
        const struct mg_item *c = it->children[i];
        if (c->verdict == MG_BLOCKED || c->verdict == MG_TEMPFAIL) {
            mg_buf_puts(out, "- ");
            mg_notice_removed(job, c, out);
        } else {
            actions_of(job, c, out, depth + 1);
        }
    }
}

void mg_notice_actions(const struct mg_job *job, const struct mg_item *it, struct mg_buf *out)
{
    actions_of(job, it, out, 0);
}
