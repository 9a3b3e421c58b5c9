#include "sanitizers/pdf/pdf_rules.h"

#include <string.h>
#include <strings.h>

struct name_kind {
    const char *name;
    enum mg_action kind;
};

/* Allow-list for action slots (/A, /OpenAction, /AA, /Next). */
static const char *const safe_actions[] = {
    "/Named", "/Hide", "/SetOCGState", "/Thread", "/Trans", NULL,
};

/* Action types we name in reports; any other non-allowed type is BAD too. */
static const struct name_kind bad_actions[] = {
    { "/JavaScript", MG_A_JAVASCRIPT_REMOVED },
    { "/Launch", MG_A_ACTION_REMOVED },
    { "/SubmitForm", MG_A_FORM_REMOVED },
    { "/ImportData", MG_A_FORM_REMOVED },
    { "/ResetForm", MG_A_FORM_REMOVED },
    { "/GoToR", MG_A_EXTERNAL_REMOVED },
    { "/GoToE", MG_A_EXTERNAL_REMOVED },
    { "/Rendition", MG_A_ACTION_REMOVED },
    { "/Sound", MG_A_ACTION_REMOVED },
    { "/Movie", MG_A_ACTION_REMOVED },
    { "/RichMediaExecute", MG_A_ACTION_REMOVED },
    { "/GoTo3DView", MG_A_ACTION_REMOVED },
    { NULL, MG_A_ACTION_REMOVED },
};

static const struct name_kind bad_annots[] = {
    { "/FileAttachment", MG_A_ATTACHMENT_REMOVED },
    { "/Sound", MG_A_ITEM_REMOVED },
    { "/Movie", MG_A_ITEM_REMOVED },
    { "/Screen", MG_A_ITEM_REMOVED },
    { "/RichMedia", MG_A_ITEM_REMOVED },
    { "/3D", MG_A_ITEM_REMOVED },
    { NULL, MG_A_ITEM_REMOVED },
};

static const struct name_kind bad_keys[] = {
    { "/JS", MG_A_JAVASCRIPT_REMOVED },
    { "/JavaScript", MG_A_JAVASCRIPT_REMOVED },
    { "/EmbeddedFiles", MG_A_ATTACHMENT_REMOVED },
    { "/EF", MG_A_ATTACHMENT_REMOVED },
    { "/AF", MG_A_ATTACHMENT_REMOVED },
    { "/Collection", MG_A_ATTACHMENT_REMOVED },
    { "/XFA", MG_A_FORM_REMOVED },
    { "/NeedsRendering", MG_A_FORM_REMOVED },
    { "/RichMediaContent", MG_A_ITEM_REMOVED },
    { "/RichMediaSettings", MG_A_ITEM_REMOVED },
    { "/3DD", MG_A_ITEM_REMOVED },
    { "/AlternatePresentations", MG_A_ITEM_REMOVED },
    { "/Renditions", MG_A_ITEM_REMOVED },
    { NULL, MG_A_ITEM_REMOVED },
};

static const struct name_kind *lookup(const struct name_kind *t, const char *s)
{
    if (s == NULL)
        return NULL;
    for (; t->name != NULL; t++) {
        if (strcmp(t->name, s) == 0)
            return t;
    }
    return NULL;
}

enum mg_pdf_act mg_pdf_action_class(const char *s, enum mg_action *kind)
{
    *kind = MG_A_ACTION_REMOVED;
    if (s == NULL)
        return MG_PDF_ACT_BAD;
    if (strcmp(s, "/GoTo") == 0)
        return MG_PDF_ACT_GOTO;
    if (strcmp(s, "/URI") == 0)
        return MG_PDF_ACT_URI;
    for (size_t i = 0; safe_actions[i] != NULL; i++) {
        if (strcmp(safe_actions[i], s) == 0)
            return MG_PDF_ACT_SAFE;
    }
    const struct name_kind *b = lookup(bad_actions, s);
    if (b != NULL)
        *kind = b->kind;
    return MG_PDF_ACT_BAD;
}

bool mg_pdf_action_dangerous(const char *s)
{
    return lookup(bad_actions, s) != NULL;
}

bool mg_pdf_annot_forbidden(const char *subtype, enum mg_action *kind)
{
    const struct name_kind *b = lookup(bad_annots, subtype);
    if (b == NULL)
        return false;
    *kind = b->kind;
    return true;
}

bool mg_pdf_key_forbidden(const char *key, enum mg_action *kind)
{
    const struct name_kind *b = lookup(bad_keys, key);
    if (b == NULL)
        return false;
    *kind = b->kind;
    return true;
}

/* Skips leading blanks and control bytes, which browsers also ignore. */
static size_t skip_blank(const char *u, size_t len)
{
    size_t i = 0;
    while (i < len && (unsigned char)u[i] <= 0x20)
        i++;
    return i;
}

static bool has_prefix(const char *u, size_t len, const char *p)
{
    size_t n = strlen(p);
    return len >= n && strncasecmp(u, p, n) == 0;
}

static const char *const web_schemes[] = {
    "http://", "https://", "ftp://", "mailto:",
    "hxxp://", "hxxps://", "fxp://", "mailto[:]", NULL,
};

bool mg_pdf_uri_is_web(const char *uri, size_t len)
{
    size_t i = skip_blank(uri, len);
    for (size_t k = 0; web_schemes[k] != NULL; k++) {
        if (has_prefix(uri + i, len - i, web_schemes[k]))
            return true;
    }
    return false;
}

bool mg_pdf_uri_is_script(const char *uri, size_t len)
{
    size_t i = skip_blank(uri, len);
    return has_prefix(uri + i, len - i, "javascript:") ||
           has_prefix(uri + i, len - i, "vbscript:") ||
           has_prefix(uri + i, len - i, "data:");
}

static bool put(char *out, size_t outlen, size_t *o, const char *s, size_t n)
{
    if (*o + n >= outlen)
        return false;
    memcpy(out + *o, s, n);
    *o += n;
    return true;
}

size_t mg_pdf_uri_defang(const char *uri, size_t len, char *out, size_t outlen)
{
    static const struct { const char *from, *to; } map[] = {
        { "http://", "hxxp://" }, { "https://", "hxxps://" },
        { "ftp://", "fxp://" }, { "mailto:", "mailto[:]" },
    };
    size_t o = 0, i = skip_blank(uri, len);
    bool host = false;
    for (size_t k = 0; k < sizeof(map) / sizeof(map[0]); k++) {
        if (has_prefix(uri + i, len - i, map[k].from)) {
            if (!put(out, outlen, &o, map[k].to, strlen(map[k].to)))
                return 0;
            i += strlen(map[k].from);
            host = true;
            break;
        }
    }
    /* In the host part (up to / ? #) dots become [.]; the rest is copied. */
    for (; i < len; i++) {
        char c = uri[i];
        if (c == '/' || c == '?' || c == '#')
            host = false;
        bool ok = (host && c == '.') ? put(out, outlen, &o, "[.]", 3)
                                     : put(out, outlen, &o, &c, 1);
        if (!ok)
            return 0;
    }
    if (o >= outlen)
        return 0;
    out[o] = '\0';
    return o;
}
