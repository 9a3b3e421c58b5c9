/* One audit line per message: the SMTP facts (client, envelope, sizes, the
 * next hop's reply, our reply) as an "smtp" member in the engine's own
 * hash-chained audit line (engine/audit.h). A message refused before the
 * engine saw it (too big, over-long line, no worker free) has no job and
 * no audit line; the same facts go to the log at notice level. */
#include <stdio.h>
#include <string.h>

#include "core/json.h"
#include "core/log.h"
#include "engine/audit.h"
#include "proto/smtp/smtp_session.h"

void mg_smtp_audit(const struct mg_smtp_session *ss, const struct mg_sandbox_result *job, uint64_t size,
                   uint64_t size_out, const struct mg_smtp_reply *nh, int code,
                   const char *enh, const char *text)
{
    struct mg_buf b;
    mg_buf_init(&b);
    struct mg_json j;
    mg_json_init(&j, &b);
    /* Members only: the engine's writer puts them inside its object. */
    mg_json_obj_begin(&j, NULL);
    mg_json_obj_begin(&j, "smtp");
    mg_json_str(&j, "session", ss->id);
    mg_json_str(&j, "client", ss->peer->ip);
    mg_json_str(&j, "helo", ss->helo);
    mg_json_bool(&j, "tls", ss->tls);
    mg_json_str(&j, "from", ss->tx.from);
    mg_json_arr_begin(&j, "rcpt");
    for (guint i = 0; i < ss->tx.rcpts->len; i++)
        mg_json_str(&j, NULL, g_ptr_array_index(ss->tx.rcpts, i));
    mg_json_arr_end(&j);
    mg_json_uint(&j, "size", size);
    mg_json_uint(&j, "size_out", size_out);
    mg_json_str(&j, "next_hop", ss->gen->cfg->next_hop);
    if (nh && nh->code) {
        char r[600];
        snprintf(r, sizeof(r), "%d %s%s%s", nh->code, nh->enh, nh->enh[0] ? " " : "", nh->text);
        mg_json_str(&j, "next_hop_reply", r);
    } else {
        mg_json_null(&j, "next_hop_reply");
    }
    char mine[700];
    snprintf(mine, sizeof(mine), "%d %s%s%s", code, enh ? enh : "", enh && enh[0] ? " " : "", text);
    mg_json_str(&j, "reply", mine);
    mg_json_obj_end(&j);
    mg_json_obj_end(&j);
    if (mg_json_failed(&j) || mg_buf_failed(&b) || b.len < 2) {
        mg_log(MG_LOG_ERROR, ss->id, NULL, "audit: cannot format the smtp record");
        mg_buf_free(&b);
        return;
    }
    /* Strip the outer braces: '{' ... '}' around "smtp":{...}. */
    b.data[b.len - 1] = '\0';
    const char *members = (const char *)b.data + 1;
    if (job) {
        (void)mg_sandbox_audit(ss->gen->er->sandbox, job, members); /* failures are logged there */
        mg_log(MG_LOG_INFO, job->job_id, NULL, "smtp message verdict=%s %s",
               mg_verdict_name(job->verdict), members);
    } else {
        mg_log(MG_LOG_NOTICE, ss->id, NULL, "smtp message refused before sanitizing %s", members);
    }
    mg_buf_free(&b);
}
