/* The relay step after DATA: the spooled message goes to a sandboxed
 * worker (src/sandbox), then the sanitized copy to the next hop; the client
 * hears 250 only after the next hop's 250, and any failure on our side
 * (a worker that crashed or timed out included) is a 4xx (DESIGN.md
 * "nothing lost"). */
#include <stdio.h>
#include <string.h>

#include "core/json.h"
#include "core/log.h"
#include "engine/metrics.h"
#include "engine/quarantine.h"
#include "engine/report.h"
#include "proto/smtp/smtp_session.h"

static void finish(struct mg_smtp_session *ss, const struct mg_sandbox_result *job, uint64_t size,
                   uint64_t size_out, const struct mg_smtp_reply *nh, int code, const char *enh,
                   const char *text)
{
    mg_smtp_reply(ss, code, enh, "%s", text);
    mg_smtp_audit(ss, job, size, size_out, nh, code, enh, text);
}

struct run_ctx {
    struct mg_sandbox *sandbox;
    const uint8_t *msg;
    size_t len;
    struct mg_sandbox_result res;
    bool ran;
};

static void run_job(void *arg)
{
    struct run_ctx *rc = arg;
    mg_metrics_queue(-1); /* a worker took it */
    (void)mg_sandbox_run(rc->sandbox, "message.eml", rc->msg, rc->len, MG_TC_MAIL, &rc->res);
    rc->ran = true;
}

/* The envelope goes into the record so that `mugai quarantine release
 * --to` knows the original sender, and the administrator sees who it was for. */
static bool quarantine(const struct mg_smtp_session *ss, const struct mg_sandbox_result *job,
                       const uint8_t *msg, size_t len)
{
    struct mg_buf meta;
    mg_buf_init(&meta);
    struct mg_json j;
    mg_json_init(&j, &meta);
    mg_json_obj_begin(&j, NULL);
    mg_json_str(&j, "type", "smtp");
    mg_json_str(&j, "session", ss->id);
    mg_json_str(&j, "client", ss->peer->ip);
    mg_json_str(&j, "helo", ss->helo);
    mg_json_str(&j, "from", ss->tx.from);
    mg_json_arr_begin(&j, "rcpt");
    for (guint i = 0; i < ss->tx.rcpts->len; i++)
        mg_json_str(&j, NULL, g_ptr_array_index(ss->tx.rcpts, i));
    mg_json_arr_end(&j);
    mg_json_obj_end(&j);
    bool ok = !mg_buf_failed(&meta) &&
              mg_sandbox_quarantine(ss->gen->er->sandbox, job, "message.eml", msg, len, mg_buf_cstr(&meta));
    mg_buf_free(&meta);
    return ok;
}

bool mg_smtp_relay(struct mg_smtp_session *ss, struct mg_spool *sp)
{
    const struct mg_smtp_config *cfg = ss->gen->cfg;
    bool sent = false;
    size_t len = 0;
    const uint8_t *msg = mg_spool_view(sp, &len);
    if (!msg || mg_spool_failed(sp)) {
        finish(ss, NULL, len, 0, NULL, 451, "4.3.0", "Cannot read the spooled message, try again later");
        return false;
    }
    /* The job runs in a sandbox worker process, handed over from this
     * thread (no per-thread engine state is needed for that); with the
     * sandbox off it runs in-process on a long-lived engine thread (warm
     * per-thread engine state). Either way at most engine-workers at once,
     * and waiting longer than a next-hop timeout for a free slot would risk
     * the client's own DATA timeout. */
    struct run_ctx rc = { .sandbox = ss->gen->er->sandbox, .msg = msg, .len = len };
    mg_metrics_queue(1);
    bool here = mg_sandbox_mode(rc.sandbox) != MG_SANDBOX_OFF;
    if (!(here ? mg_workpool_run_here : mg_workpool_run)(ss->srv->front.pool, run_job, &rc, cfg->next_hop_timeout)) {
        mg_metrics_queue(-1); /* never picked up */
        finish(ss, NULL, len, 0, NULL, 451, "4.3.2", "System busy, try again later");
        return false;
    }
    if (!rc.ran) {
        finish(ss, NULL, len, 0, NULL, 451, "4.3.0", "Internal error, try again later");
        return false;
    }
    const struct mg_sandbox_result *job = &rc.res;
    enum mg_verdict v = job->verdict;
    /* Whatever was removed or changed must be recoverable (mugai quarantine
     * release): the original is stored before anything is relayed, and a
     * store that fails (disk full, [quarantine] max-size) is a 4xx, not a loss. */
    if (v != MG_TEMPFAIL && job->reason != MG_R_POISON && mg_sandbox_result_changed(job) &&
        !quarantine(ss, job, msg, len)) {
        finish(ss, job, len, 0, NULL, 451, "4.3.0", "Cannot quarantine the original, try again later");
        mg_sandbox_result_clear(&rc.res);
        return false;
    }
    const uint8_t *out = NULL;
    size_t out_len = 0;
    struct mg_buf notice;
    mg_buf_init(&notice);
    char text[600];
    switch (v) {
    case MG_CLEAN:
    case MG_SANITIZED:
        out = job->output;
        out_len = job->output_len;
        if (!out) {
            finish(ss, job, len, 0, NULL, 451, "4.3.0", "Internal error (no sanitized output), try again later");
            goto done;
        }
        break;
    case MG_BLOCKED:
        if (cfg->blocked == MG_BLOCKED_REJECT) {
            const char *st = mg_reason_smtp_status(job->reason);
            snprintf(text, sizeof(text), "Message refused by content policy (%s, job %s)",
                     mg_reason_keyword(job->reason), job->job_id);
            /* The table's status for a whole-message refusal; temporary reasons stay 4xx. */
            finish(ss, job, len, 0, NULL, st && st[0] == '4' ? 451 : 550, st ? st : "5.7.1", text);
            goto done;
        }
        /* Deliver the notice in place of the message. */
        out = job->output;
        out_len = job->output_len;
        if (!out) {
            if (!mg_smtp_notice_message(job, ss, &notice) || mg_buf_failed(&notice)) {
                finish(ss, job, len, 0, NULL, 451, "4.3.0", "Internal error building the notice, try again later");
                goto done;
            }
            out = notice.data;
            out_len = notice.len;
        }
        break;
    case MG_TEMPFAIL:
    default:
        snprintf(text, sizeof(text), "Message could not be checked now (%s, job %s), try again later",
                 mg_reason_keyword(job->reason), job->job_id);
        finish(ss, job, len, 0, NULL, 451, "4.3.0", text);
        goto done;
    }

    struct mg_smtp_reply r;
    double t_relay = mg_server_now();
    int code = mg_smtp_client_data(&ss->next, out, out_len, &r);
    mg_metrics_observe(MG_STAGE_RELAY, mg_server_now() - t_relay);
    if (code / 100 != 2)
        mg_metrics_next_hop_error();
    /* Only a 2xx surely ended the next hop's transaction (a refused DATA
     * command leaves it open); otherwise the caller resets it. */
    sent = code / 100 == 2;
    if (code / 100 == 2) {
        snprintf(text, sizeof(text), "Ok: %s %s, next hop said: %s", mg_verdict_name(v),
                 job->job_id, r.text);
        finish(ss, job, len, out_len, &r, 250, "2.0.0", text);
    } else if (code / 100 == 5) {
        finish(ss, job, len, out_len, &r, code, r.enh[0] ? r.enh : "5.0.0", r.text);
    } else {
        /* 4xx, a vanished next hop, a timeout, or a nonsense code: temporary. */
        snprintf(text, sizeof(text), "Next hop did not accept the message: %s, try again later",
                 code ? r.text : ss->next.err);
        finish(ss, job, len, out_len, &r, 451, code / 100 == 4 && r.enh[0] ? r.enh : "4.4.2", text);
        mg_smtp_client_close(&ss->next);
    }
done:
    mg_buf_free(&notice);
    mg_sandbox_result_clear(&rc.res);
    return sent;
}
