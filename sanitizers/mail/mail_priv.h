/* Shared state of one run of the mail sanitizer: the configuration, the
 * body text being built, the attachments (engine items) in output order,
 * and the whole-message verdict when a limit is hit. Internal to
 * sanitizers/mail/. */
#ifndef MG_SANITIZERS_MAIL_PRIV_H
#define MG_SANITIZERS_MAIL_PRIV_H

#include <gmime/gmime.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "engine/contract.h"

enum mg_mail_notice_pos { MG_MAIL_NOTICE_TOP = 0, MG_MAIL_NOTICE_BOTTOM, MG_MAIL_NOTICE_NONE };

struct mg_mail_conf {
    bool prefer_plain;
    bool out_iso2022jp;
    char **keep_headers;        /* g_strfreev */
    enum mg_mail_notice_pos notice_pos;
    bool placeholder;
    uint64_t max_header_len;
    uint64_t max_line_len;
    uint64_t max_nesting;
    char *received_by;          /* g_free; "" = host name */
};

/* Reads [mail] from the policy; false with *err set on a bad value. */
bool mg_mail_conf_load(const struct mg_policy *pol, struct mg_mail_conf *c, GError **err);
void mg_mail_conf_free(struct mg_mail_conf *c);

struct mg_mail_att {
    struct mg_item *it;
    bool is_message;            /* attach as message/rfc822 */
};

struct mg_mail_ctx {
    struct mg_job *job;
    struct mg_item *in;
    const struct mg_policy *pol;
    struct mg_mail_conf conf;

    struct mg_buf body;         /* UTF-8, LF line ends */
    size_t n_bodies;
    struct mg_mail_att *atts;
    size_t n_atts, cap_atts;
    size_t n_parts;             /* MIME objects visited */
    size_t n_removed;           /* parts dropped without an item (signatures ...) */

    GPtrArray *cids;            /* "cid:" targets the HTML bodies referenced */
    GString *parser_warnings;   /* gmime's complaints, for the notice */
    unsigned warn_seen;         /* bit per GMimeParserWarning already noted */

    /* Whole-message outcome: set once, checked by the caller. */
    bool whole_blocked;
    bool whole_tempfail;
    enum mg_reason whole_reason;
    char whole_detail[160];
};

void mg_mail_whole_block(struct mg_mail_ctx *c, enum mg_reason r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void mg_mail_whole_tempfail(struct mg_mail_ctx *c, enum mg_reason r, const char *detail);
bool mg_mail_stopped(const struct mg_mail_ctx *c);

/* Walks the MIME tree of msg iteratively: body text into c->body,
 * attachments through mg_job_child into c->atts, actions on c->in. */
void mg_mail_walk(struct mg_mail_ctx *c, GMimeMessage *msg);
/* Dispatches bytes as an attachment item; with a reason other than
 * MG_R_NONE the item is blocked with it (damaged, encrypted ...). */
void mg_mail_add_bytes(struct mg_mail_ctx *c, const char *name, const uint8_t *p, size_t len,
                       enum mg_reason block, const char *detail);
/* Body parts: decode and append to c->body. */
void mg_mail_body_text(struct mg_mail_ctx *c, const uint8_t *p, size_t len, const char *charset);
void mg_mail_body_html(struct mg_mail_ctx *c, const uint8_t *p, size_t len, const char *charset);

/* Writes the rebuilt message (headers of msg, notice, body, attachments). */
bool mg_mail_build(struct mg_mail_ctx *c, GMimeMessage *msg, struct mg_sink *out);

/* The header value of obj as raw bytes (folded, as in the input), or NULL. */
const char *mg_mail_raw_header(GMimeObject *obj, const char *name);
/* Translated text in the job's language. */
const char *mg_mail_tr(const struct mg_mail_ctx *c, const char *msgid);

#endif
