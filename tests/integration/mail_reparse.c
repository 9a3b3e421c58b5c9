/* Test helper for mail_cli.sh: parses each file with gmime and fails on
 * any parser warning, so that every message mugai writes is one gmime
 * reads without complaint. Usage: mail_reparse FILE... */
#include <fcntl.h>
#include <gmime/gmime.h>
#include <stdio.h>

static int warnings;

static void on_warning(gint64 offset, GMimeParserWarning code, const gchar *item, gpointer ud)
{
    fprintf(stderr, "%s: gmime warning %d at offset %lld: %s\n", (const char *)ud, (int)code,
            (long long)offset, item ? item : "");
    warnings++;
}

int main(int argc, char **argv)
{
    g_mime_init();
    int bad = 0;
    for (int i = 1; i < argc; i++) {
        GMimeStream *s = g_mime_stream_fs_open(argv[i], O_RDONLY, 0, NULL);
        if (s == NULL) {
            fprintf(stderr, "%s: cannot open\n", argv[i]);
            bad++;
            continue;
        }
        GMimeParserOptions *po = g_mime_parser_options_new();
        g_mime_parser_options_set_warning_callback(po, on_warning, argv[i]);
        GMimeParser *p = g_mime_parser_new_with_stream(s);
        warnings = 0;
        GMimeMessage *m = g_mime_parser_construct_message(p, po);
        if (m == NULL) {
            fprintf(stderr, "%s: not a message\n", argv[i]);
            bad++;
        } else if (warnings > 0) {
            bad++;
        }
        if (m != NULL)
            g_object_unref(m);
        g_object_unref(p);
        g_object_unref(s);
        g_mime_parser_options_free(po);
    }
    g_mime_shutdown();
    return bad ? 1 : 0;
}
