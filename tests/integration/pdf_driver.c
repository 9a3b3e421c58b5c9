/* mg-pdf-disarm: runs the PDF disarm core alone (no engine) on one file, for
 * the integration script and by hand. Prints one line per action
 * ("keyword<TAB>detail") and a last "status<TAB>..." line.
 * usage: mg-pdf-disarm [--uri keep|defang|remove] [--extract DIR] IN OUT
 * exit: 0 rebuilt, 1 blocked, 2 usage or I/O error. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "core/buf.h"
#include "core/sink.h"
#include "sanitizers/pdf/pdf_disarm.h"

static const char *const action_kw[] = {
#define MG_ACTION(id, kw, msg) kw,
#include "engine/actions.def"
#undef MG_ACTION
};

static const char *extract_dir;
static unsigned extracted;

static void on_action(void *ctx, enum mg_action a, const char *detail)
{
    (void)ctx;
    printf("%s\t%s\n", (size_t)a < sizeof(action_kw) / sizeof(action_kw[0]) ? action_kw[a] : "?",
           detail);
}

static bool on_embedded(void *ctx, const char *name, const uint8_t *data, size_t len)
{
    (void)ctx;
    (void)name;
    char *path = g_strdup_printf("%s/embedded-%u.bin", extract_dir, extracted++);
    GError *e = NULL;
    bool ok = g_file_set_contents(path, (const char *)data, (gssize)len, &e);
    if (!ok) {
        fprintf(stderr, "mg-pdf-disarm: %s\n", e->message);
        g_clear_error(&e);
    }
    g_free(path);
    return ok;
}

int main(int argc, char **argv)
{
    struct mg_pdf_opts opts = { .uri = MG_URLS_KEEP };
    int i = 1;
    for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        if (strcmp(argv[i], "--uri") == 0) {
            if (strcmp(argv[i + 1], "defang") == 0)
                opts.uri = MG_URLS_DEFANG;
            else if (strcmp(argv[i + 1], "remove") == 0)
                opts.uri = MG_URLS_REMOVE;
            else if (strcmp(argv[i + 1], "keep") != 0)
                return 2;
        } else if (strcmp(argv[i], "--extract") == 0) {
            opts.extract_files = true;
            extract_dir = argv[i + 1];
        } else {
            return 2;
        }
    }
    if (argc - i != 2) {
        fputs("usage: mg-pdf-disarm [--uri keep|defang|remove] [--extract DIR] IN OUT\n", stderr);
        return 2;
    }
    gchar *data = NULL;
    gsize len = 0;
    GError *e = NULL;
    if (!g_file_get_contents(argv[i], &data, &len, &e)) {
        fprintf(stderr, "mg-pdf-disarm: %s\n", e->message);
        g_clear_error(&e);
        return 2;
    }
    struct mg_buf out;
    struct mg_sink sink;
    mg_buf_init(&out);
    mg_sink_init_buf(&sink, &out);
    struct mg_pdf_hooks hooks = { .action = on_action, .embedded = on_embedded };
    struct mg_pdf_result res;
    static const char *const names[] = { "ok", "encrypted", "malformed", "time",
                                         "too-many", "verify-failed", "nomem" };
    enum mg_pdf_status st = mg_pdf_disarm((const uint8_t *)data, len, &opts, &hooks, &sink, &res);
    printf("status\t%s\t%s\n", names[st], res.detail);
    int rc = st == MG_PDF_OK ? 0 : 1;
    if (st == MG_PDF_OK && !g_file_set_contents(argv[i + 1], (const char *)out.data,
                                                (gssize)out.len, &e)) {
        fprintf(stderr, "mg-pdf-disarm: %s\n", e->message);
        g_clear_error(&e);
        rc = 2;
    }
    mg_buf_free(&out);
    g_free(data);
    return rc;
}
