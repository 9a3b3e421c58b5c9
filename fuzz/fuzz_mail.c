/* The mail sanitizer over any bytes, through the whole engine (so attached
 * parts go round mg_job_child as in production), plus the header decoders
 * on the same bytes. Checks: it returns, the verdict is one of the four,
 * and a written message is 7-bit (mail_out.c promises it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "engine/engine.h"
#include "sanitizers/mail/mail_hdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct mg_engine *engine;

static struct mg_engine *get_engine(void)
{
    if (engine != NULL)
        return engine;
    char path[] = "/tmp/fuzz_mail_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        abort();
    static const char conf[] = "[general]\nlog-level = error\n[clamav]\nmode = off\n"
                               "[limits]\nmax-time = 10s\n";
    if (write(fd, conf, sizeof(conf) - 1) != (ssize_t)(sizeof(conf) - 1))
        abort();
    close(fd);
    GError *err = NULL;
    struct mg_policy *pol = mg_policy_load(path, &err);
    unlink(path);
    if (pol == NULL)
        abort();
    engine = mg_engine_new(pol, &err);
    if (engine == NULL)
        abort();
    return engine;
}

static void headers(const uint8_t *data, size_t size)
{
    struct mg_buf b;
    mg_buf_init(&b);
    size_t errors = 0;
    if (mg_mail_hdr_decode((const char *)data, size, &b, &errors))
        mg_mail_clean_text(&b, false);
    mg_buf_reset(&b);
    mg_mail_param_get((const char *)data, size, "filename", &b, &errors);
    struct mg_buf e;
    mg_buf_init(&e);
    size_t um = 0;
    if (mg_buf_failed(&b) == false && b.len > 0) {
        mg_mail_clean_text(&b, false);
        mg_mail_hdr_encode("Subject", b.data, b.len, size % 2 == 0, &e, &um);
        for (size_t i = 0; i < e.len; i++) {
            if (e.data[i] >= 0x80)
                abort();
        }
    }
    mg_buf_free(&e);
    mg_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20))
        return 0;
    headers(data, size);
    struct mg_job *job = mg_job_new(get_engine(), NULL);
    if (job == NULL)
        abort();
    struct mg_item *root = mg_job_run(job, "fuzz.eml", data, size, MG_TC_MAIL);
    enum mg_verdict v = mg_job_verdict(job);
    if (v != MG_CLEAN && v != MG_SANITIZED && v != MG_BLOCKED && v != MG_TEMPFAIL)
        abort();
    size_t len = 0;
    const uint8_t *out = mg_item_result(root, &len);
    if (v == MG_SANITIZED && out != NULL) {
        for (size_t i = 0; i < len; i++) {
            if (out[i] >= 0x80)
                abort();
        }
    }
    mg_job_free(job);
    return 0;
}
