#include "scan/type.h"

#include <magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"

struct mg_typer {
    magic_t mime;
    magic_t desc;
};

static const char *const class_names[MG_TC__COUNT] = {
    [MG_TC_UNKNOWN] = "unknown", [MG_TC_EMPTY] = "empty", [MG_TC_TEXT] = "text",
    [MG_TC_HTML] = "html", [MG_TC_MAIL] = "mail", [MG_TC_OOXML] = "ooxml",
    [MG_TC_OLE2] = "ole2", [MG_TC_RTF] = "rtf", [MG_TC_PDF] = "pdf",
    [MG_TC_ARCHIVE] = "archive", [MG_TC_IMAGE] = "image",
    [MG_TC_EXECUTABLE] = "executable", [MG_TC_SCRIPT] = "script",
    [MG_TC_ENCRYPTED] = "encrypted",
};

const char *mg_type_class_name(enum mg_type_class c)
{
    return (c >= 0 && c < MG_TC__COUNT) ? class_names[c] : "unknown";
}

bool mg_type_class_parse(const char *s, enum mg_type_class *out)
{
    for (int i = 0; i < MG_TC__COUNT; i++) {
        if (strcmp(s, class_names[i]) == 0) {
            *out = (enum mg_type_class)i;
            return true;
        }
    }
    return false;
}

struct ext_row {
    const char *ext;
    enum mg_type_class cls;
};

/* What a name claims. Extensions Windows would execute or hand to a script
 * host are EXECUTABLE or SCRIPT whatever the bytes say. */
static const struct ext_row ext_table[] = {
    { "txt", MG_TC_TEXT }, { "csv", MG_TC_TEXT }, { "tsv", MG_TC_TEXT }, { "log", MG_TC_TEXT },
    { "md", MG_TC_TEXT }, { "json", MG_TC_TEXT }, { "xml", MG_TC_TEXT }, { "ini", MG_TC_TEXT },
    { "yaml", MG_TC_TEXT }, { "yml", MG_TC_TEXT },
    { "html", MG_TC_HTML }, { "htm", MG_TC_HTML }, { "xhtml", MG_TC_HTML }, { "shtml", MG_TC_HTML },
    { "eml", MG_TC_MAIL },
    { "docx", MG_TC_OOXML }, { "docm", MG_TC_OOXML }, { "dotx", MG_TC_OOXML }, { "dotm", MG_TC_OOXML },
    { "xlsx", MG_TC_OOXML }, { "xlsm", MG_TC_OOXML }, { "xltx", MG_TC_OOXML }, { "xltm", MG_TC_OOXML },
    { "xlsb", MG_TC_OOXML }, { "xlam", MG_TC_OOXML }, { "pptx", MG_TC_OOXML }, { "pptm", MG_TC_OOXML },
    { "potx", MG_TC_OOXML }, { "potm", MG_TC_OOXML }, { "ppsx", MG_TC_OOXML }, { "ppsm", MG_TC_OOXML },
    { "ppam", MG_TC_OOXML }, { "sldx", MG_TC_OOXML }, { "sldm", MG_TC_OOXML },
    { "doc", MG_TC_OLE2 }, { "dot", MG_TC_OLE2 }, { "xls", MG_TC_OLE2 }, { "xlt", MG_TC_OLE2 },
    { "xla", MG_TC_OLE2 }, { "ppt", MG_TC_OLE2 }, { "pot", MG_TC_OLE2 }, { "pps", MG_TC_OLE2 },
    { "msg", MG_TC_OLE2 }, { "jtd", MG_TC_OLE2 }, { "jtt", MG_TC_OLE2 },
    { "rtf", MG_TC_RTF }, { "pdf", MG_TC_PDF },
    { "zip", MG_TC_ARCHIVE }, { "7z", MG_TC_ARCHIVE }, { "tar", MG_TC_ARCHIVE }, { "gz", MG_TC_ARCHIVE },
    { "tgz", MG_TC_ARCHIVE }, { "bz2", MG_TC_ARCHIVE }, { "tbz2", MG_TC_ARCHIVE }, { "xz", MG_TC_ARCHIVE },
    { "txz", MG_TC_ARCHIVE }, { "zst", MG_TC_ARCHIVE }, { "rar", MG_TC_ARCHIVE }, { "cab", MG_TC_ARCHIVE },
    { "lzh", MG_TC_ARCHIVE }, { "lha", MG_TC_ARCHIVE }, { "iso", MG_TC_ARCHIVE },
    { "jpg", MG_TC_IMAGE }, { "jpeg", MG_TC_IMAGE }, { "jpe", MG_TC_IMAGE }, { "png", MG_TC_IMAGE },
    { "gif", MG_TC_IMAGE }, { "bmp", MG_TC_IMAGE }, { "webp", MG_TC_IMAGE }, { "tif", MG_TC_IMAGE },
    { "tiff", MG_TC_IMAGE },
    { "exe", MG_TC_EXECUTABLE }, { "dll", MG_TC_EXECUTABLE }, { "scr", MG_TC_EXECUTABLE },
    { "com", MG_TC_EXECUTABLE }, { "pif", MG_TC_EXECUTABLE }, { "cpl", MG_TC_EXECUTABLE },
    { "msi", MG_TC_EXECUTABLE }, { "msp", MG_TC_EXECUTABLE }, { "sys", MG_TC_EXECUTABLE },
    { "ocx", MG_TC_EXECUTABLE }, { "lnk", MG_TC_EXECUTABLE }, { "jar", MG_TC_EXECUTABLE },
    { "apk", MG_TC_EXECUTABLE }, { "so", MG_TC_EXECUTABLE }, { "dylib", MG_TC_EXECUTABLE },
    { "chm", MG_TC_EXECUTABLE }, { "img", MG_TC_EXECUTABLE }, { "vhd", MG_TC_EXECUTABLE },
    { "vhdx", MG_TC_EXECUTABLE }, { "appx", MG_TC_EXECUTABLE }, { "msix", MG_TC_EXECUTABLE },
    { "js", MG_TC_SCRIPT }, { "jse", MG_TC_SCRIPT }, { "vbs", MG_TC_SCRIPT }, { "vbe", MG_TC_SCRIPT },
    { "wsf", MG_TC_SCRIPT }, { "wsh", MG_TC_SCRIPT }, { "hta", MG_TC_SCRIPT }, { "ps1", MG_TC_SCRIPT },
    { "psm1", MG_TC_SCRIPT }, { "bat", MG_TC_SCRIPT }, { "cmd", MG_TC_SCRIPT }, { "sh", MG_TC_SCRIPT },
    { "py", MG_TC_SCRIPT }, { "pl", MG_TC_SCRIPT }, { "rb", MG_TC_SCRIPT }, { "php", MG_TC_SCRIPT },
    { "vb", MG_TC_SCRIPT }, { "vba", MG_TC_SCRIPT }, { "scf", MG_TC_SCRIPT }, { "inf", MG_TC_SCRIPT },
    { "reg", MG_TC_SCRIPT }, { "svg", MG_TC_SCRIPT }, { "url", MG_TC_SCRIPT }, { "website", MG_TC_SCRIPT },
    { "iqy", MG_TC_SCRIPT }, { "slk", MG_TC_SCRIPT }, { "settingcontent-ms", MG_TC_SCRIPT },
};

void mg_type_ext(const char *name, char *ext, size_t extlen)
{
    ext[0] = '\0';
    if (name == NULL || extlen == 0)
        return;
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    const char *bs = strrchr(base, '\\');
    base = bs ? bs + 1 : base;
    /* Windows ignores trailing dots and spaces: "a.exe. " is an .exe. */
    size_t n = strlen(base);
    while (n > 0 && (base[n - 1] == '.' || base[n - 1] == ' '))
        n--;
    const char *dot = NULL;
    for (size_t i = 0; i < n; i++)
        if (base[i] == '.')
            dot = base + i;
    if (dot == NULL || dot == base)
        return;
    size_t elen = n - (size_t)(dot + 1 - base);
    if (elen == 0 || elen >= extlen)
        return;
    for (size_t i = 0; i < elen; i++) {
        char c = dot[1 + i];
        ext[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    }
    ext[elen] = '\0';
}

enum mg_type_class mg_type_class_of_ext(const char *ext)
{
    if (ext == NULL || *ext == '\0')
        return MG_TC_UNKNOWN;
    for (size_t i = 0; i < sizeof(ext_table) / sizeof(ext_table[0]); i++)
        if (strcmp(ext, ext_table[i].ext) == 0)
            return ext_table[i].cls;
    return MG_TC_UNKNOWN;
}

struct mime_row {
    const char *prefix;   /* matched as a prefix of the MIME type */
    enum mg_type_class cls;
};

static const struct mime_row mime_table[] = {
    { "application/pdf", MG_TC_PDF },
    { "text/html", MG_TC_HTML }, { "application/xhtml+xml", MG_TC_HTML },
    { "message/rfc822", MG_TC_MAIL }, { "message/news", MG_TC_MAIL },
    { "text/rtf", MG_TC_RTF }, { "application/rtf", MG_TC_RTF },
    { "application/vnd.openxmlformats-officedocument.", MG_TC_OOXML },
    { "application/vnd.ms-word.", MG_TC_OOXML }, { "application/vnd.ms-excel.", MG_TC_OOXML },
    { "application/vnd.ms-powerpoint.", MG_TC_OOXML },
    { "application/encrypted", MG_TC_ENCRYPTED },
    { "application/x-ole-storage", MG_TC_OLE2 }, { "application/CDFV2", MG_TC_OLE2 },
    { "application/msword", MG_TC_OLE2 }, { "application/vnd.ms-excel", MG_TC_OLE2 },
    { "application/vnd.ms-powerpoint", MG_TC_OLE2 }, { "application/vnd.ms-outlook", MG_TC_OLE2 },
    { "application/x-msi", MG_TC_EXECUTABLE },
    { "application/zip", MG_TC_ARCHIVE }, { "application/x-7z-compressed", MG_TC_ARCHIVE },
    { "application/x-tar", MG_TC_ARCHIVE }, { "application/gzip", MG_TC_ARCHIVE },
    { "application/x-gzip", MG_TC_ARCHIVE }, { "application/x-bzip2", MG_TC_ARCHIVE },
    { "application/x-xz", MG_TC_ARCHIVE }, { "application/zstd", MG_TC_ARCHIVE },
    { "application/x-rar", MG_TC_ARCHIVE }, { "application/vnd.rar", MG_TC_ARCHIVE },
    { "application/vnd.ms-cab-compressed", MG_TC_ARCHIVE },
    { "application/x-iso9660-image", MG_TC_ARCHIVE }, { "application/x-lzh", MG_TC_ARCHIVE },
    { "application/x-lha", MG_TC_ARCHIVE },
    { "image/svg", MG_TC_SCRIPT },
    { "image/jpeg", MG_TC_IMAGE }, { "image/png", MG_TC_IMAGE }, { "image/gif", MG_TC_IMAGE },
    { "image/bmp", MG_TC_IMAGE }, { "image/x-ms-bmp", MG_TC_IMAGE }, { "image/webp", MG_TC_IMAGE },
    { "image/tiff", MG_TC_IMAGE },
    { "application/x-dosexec", MG_TC_EXECUTABLE }, { "application/vnd.microsoft.portable-executable", MG_TC_EXECUTABLE },
    { "application/x-executable", MG_TC_EXECUTABLE }, { "application/x-pie-executable", MG_TC_EXECUTABLE },
    { "application/x-sharedlib", MG_TC_EXECUTABLE }, { "application/x-elf", MG_TC_EXECUTABLE },
    { "application/x-mach-binary", MG_TC_EXECUTABLE }, { "application/x-object", MG_TC_EXECUTABLE },
    { "application/java-archive", MG_TC_EXECUTABLE }, { "application/x-java-applet", MG_TC_EXECUTABLE },
    { "application/x-ms-shortcut", MG_TC_EXECUTABLE }, { "application/vnd.ms-htmlhelp", MG_TC_EXECUTABLE },
    { "application/x-shockwave-flash", MG_TC_EXECUTABLE },
    { "application/javascript", MG_TC_SCRIPT }, { "text/javascript", MG_TC_SCRIPT },
    { "application/json", MG_TC_TEXT }, { "application/xml", MG_TC_TEXT },
    { "text/", MG_TC_TEXT },
};

struct mg_typer *mg_typer_new(char *errbuf, size_t errlen)
{
    struct mg_typer *t = calloc(1, sizeof(*t));
    if (t == NULL) {
        snprintf(errbuf, errlen, "out of memory");
        return NULL;
    }
    /* Checks that cost much and decide nothing here: looking inside
     * compressed data (the archive sanitizer does), JSON and CSV validation
     * and troff tokens (all three are text to us anyway). */
    int flags = MAGIC_ERROR | MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_JSON |
                MAGIC_NO_CHECK_CSV | MAGIC_NO_CHECK_TOKENS;
    t->mime = magic_open(MAGIC_MIME_TYPE | flags);
    t->desc = magic_open(MAGIC_NONE | flags);
    if (t->mime == NULL || t->desc == NULL || magic_load(t->mime, NULL) != 0 ||
        magic_load(t->desc, NULL) != 0) {
        snprintf(errbuf, errlen, "libmagic: cannot load the magic database: %s",
                 t->mime ? (magic_error(t->mime) ? magic_error(t->mime) : "unknown error") : "magic_open failed");
        mg_typer_free(t);
        return NULL;
    }
    /* Type is decided from the head of the file (our own structural checks
     * look at all of it); bound libmagic's work. */
    size_t bytes_max = 64u << 10;
    magic_setparam(t->mime, MAGIC_PARAM_BYTES_MAX, &bytes_max);
    magic_setparam(t->desc, MAGIC_PARAM_BYTES_MAX, &bytes_max);
    return t;
}

void mg_typer_free(struct mg_typer *t)
{
    if (t == NULL)
        return;
    if (t->mime)
        magic_close(t->mime);
    if (t->desc)
        magic_close(t->desc);
    free(t);
}

const char *mg_typer_magic_version(void)
{
    static char v[16];
    int n = magic_version();
    snprintf(v, sizeof(v), "%d.%02d", n / 100, n % 100);
    return v;
}

static bool has(const uint8_t *d, size_t len, const char *needle, size_t nlen)
{
    return len >= nlen && memmem(d, len, needle, nlen) != NULL;
}

/* A zip whose entries include [Content_Types].xml is an OOXML package even
 * when libmagic only says application/zip (it checks the first entry). The
 * name also appears in the central directory at the end. */
static bool looks_ooxml(const uint8_t *d, size_t len)
{
    return len > 4 && memcmp(d, "PK\x03\x04", 4) == 0 &&
           has(d, len, "[Content_Types].xml", 19);
}

/* An OLE2 file carrying an "EncryptedPackage" stream is an encrypted OOXML
 * document (the stream name is UTF-16LE in the directory). */
static bool looks_encrypted_ooxml(const uint8_t *d, size_t len)
{
    static const char name[] = "E\0n\0c\0r\0y\0p\0t\0e\0d\0P\0a\0c\0k\0a\0g\0e\0";
    return len > 8 && memcmp(d, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) == 0 &&
           has(d, len, name, sizeof(name) - 1);
}

static enum mg_type_class class_of_mime(const char *mime)
{
    for (size_t i = 0; i < sizeof(mime_table) / sizeof(mime_table[0]); i++)
        if (strncasecmp(mime, mime_table[i].prefix, strlen(mime_table[i].prefix)) == 0)
            return mime_table[i].cls;
    return MG_TC_UNKNOWN;
}

static bool textual(enum mg_type_class c)
{
    return c == MG_TC_TEXT || c == MG_TC_HTML || c == MG_TC_MAIL;
}

/* Decides the class from what the bytes are and what the name claims.
 * Textual content is what its name makes of it (a .js file is a script, an
 * .html file is HTML to convert); everything else is what its bytes are, and
 * a name claiming another known class is a mismatch for policy to judge. */
static void reconcile(struct mg_type *t)
{
    enum mg_type_class b = t->cls, n = t->name_cls;
    t->mismatch = false;
    if (n == MG_TC_UNKNOWN || n == b || b == MG_TC_EMPTY)
        return;
    if (textual(b) && (textual(n) || n == MG_TC_SCRIPT)) {
        t->cls = n;
        return;
    }
    if (b == MG_TC_SCRIPT && n == MG_TC_TEXT) {
        /* A script saved as .txt opens in an editor, not a script host. */
        t->cls = MG_TC_TEXT;
        return;
    }
    /* Word saves and opens RTF under .doc names; it is sanitized as RTF. */
    if (b == MG_TC_RTF && n == MG_TC_OLE2)
        return;
    /* Zip containers: a docx named .zip is still handled as OOXML. */
    if (b == MG_TC_OOXML && n == MG_TC_ARCHIVE)
        return;
    /* Encrypted OOXML is an OLE2 file; say encrypted, not mismatch. */
    if (b == MG_TC_ENCRYPTED && (n == MG_TC_OOXML || n == MG_TC_OLE2))
        return;
    t->mismatch = true;
}

void mg_type_forced(const char *name, enum mg_type_class cls, struct mg_type *out)
{
    memset(out, 0, sizeof(*out));
    mg_type_ext(name, out->ext, sizeof(out->ext));
    out->name_cls = mg_type_class_of_ext(out->ext);
    out->cls = cls;
    static const char *const mimes[MG_TC__COUNT] = {
        [MG_TC_MAIL] = "message/rfc822", [MG_TC_TEXT] = "text/plain", [MG_TC_HTML] = "text/html",
        [MG_TC_PDF] = "application/pdf", [MG_TC_RTF] = "text/rtf",
    };
    snprintf(out->mime, sizeof(out->mime), "%s", mimes[cls] ? mimes[cls] : "application/octet-stream");
}

void mg_type_detect(struct mg_typer *t, const uint8_t *data, size_t len,
                    const char *name, bool describe, struct mg_type *out)
{
    memset(out, 0, sizeof(*out));
    mg_type_ext(name, out->ext, sizeof(out->ext));
    out->name_cls = mg_type_class_of_ext(out->ext);
    if (len == 0) {
        out->cls = MG_TC_EMPTY;
        snprintf(out->mime, sizeof(out->mime), "application/x-empty");
        snprintf(out->desc, sizeof(out->desc), "empty");
        return;
    }
    const char *m = magic_buffer(t->mime, data, len);
    snprintf(out->mime, sizeof(out->mime), "%s", m ? m : "application/octet-stream");
    if (describe) {
        const char *d = magic_buffer(t->desc, data, len);
        snprintf(out->desc, sizeof(out->desc), "%s", d ? d : "data");
    }

    out->cls = class_of_mime(out->mime);
    /* Word opens anything starting with "{\rt" as RTF (libmagic wants
     * "{\rtf"): the oletools issue-185 trick. Type it the way Word will. */
    if (len >= 4 && memcmp(data, "{\\rt", 4) == 0)
        out->cls = MG_TC_RTF;
    else if (looks_encrypted_ooxml(data, len))
        out->cls = MG_TC_ENCRYPTED;
    else if ((out->cls == MG_TC_ARCHIVE || out->cls == MG_TC_UNKNOWN) && looks_ooxml(data, len))
        out->cls = MG_TC_OOXML;
    /* Word 2003 XML and similar "mso-application" documents can carry macros
     * (w:binData); they are not plain text. */
    if (out->cls == MG_TC_TEXT && has(data, len < 4096 ? len : 4096, "<?mso-application", 17))
        out->cls = MG_TC_UNKNOWN;
    reconcile(out);
}
