/* Format checks on the kept document streams (see ole2_check.h). Each walk
 * is linear in the stream size and reads nothing past its end. */
#include <stdio.h>
#include <string.h>

#include "sanitizers/ole2/ole2_check.h"

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static void set(struct mg_ole2_result *r, enum mg_ole2_find f, const char *detail)
{
    if (r->find != MG_OLE2_FINE)
        return;          /* the first finding wins */
    r->find = f;
    snprintf(r->detail, sizeof r->detail, "%s", detail);
}

void mg_ole2_check_word(const uint8_t *wd, size_t len, struct mg_ole2_result *r)
{
    if (len < 0x20) {
        set(r, MG_OLE2_MALFORMED, "WordDocument stream shorter than the FIB");
        return;
    }
    uint16_t ident = le16(wd);
    if (ident != 0xA5EC && ident != 0xA5DC) {
        set(r, MG_OLE2_MALFORMED, "WordDocument stream: unknown FIB identifier");
        return;
    }
    uint16_t flags = le16(wd + 0x0A);
    if (flags & 0x0100) {    /* fEncrypted (RC4, CryptoAPI RC4 or XOR obfuscation) */
        set(r, MG_OLE2_ENCRYPTED, "Word document encrypted (FIB fEncrypted)");
        return;
    }
    /* Word 6.0/95 (nFib 101-105) keeps WordBasic macros inside the document
     * stream itself, where removing them means rewriting the FIB's tables. */
    if (le16(wd + 2) < 0x00C1)
        set(r, MG_OLE2_UNSAFE, "Word 6.0/95 document (WordBasic macros would live inside "
            "the document stream; not rebuilt)");
}

void mg_ole2_check_excel(const uint8_t *wb, size_t len, struct mg_ole2_result *r)
{
    size_t pos = 0;
    while (pos + 4 <= len) {
        uint16_t type = le16(wb + pos), rlen = le16(wb + pos + 2);
        const uint8_t *body = wb + pos + 4;
        if ((size_t)rlen > len - pos - 4)
            break;       /* Excel ignores a truncated tail record too */
        if (type == 0x002F) {         /* FILEPASS: the rest is encrypted */
            set(r, MG_OLE2_ENCRYPTED, "Excel workbook encrypted (FILEPASS record)");
            return;
        }
        if (type == 0x0085 && rlen >= 6) {   /* BOUNDSHEET: lbPlyPos, hsState, dt */
            uint8_t dt = body[5];
            char name[64] = "";
            if (rlen >= 8) {
                size_t cch = body[6], o = 0;
                bool wide = rlen >= 9 && (body[7] & 1);
                size_t at = 8;
                for (size_t i = 0; i < cch && o + 1 < sizeof name; i++) {
                    size_t w = wide ? 2 : 1;
                    if (at + w > rlen)
                        break;
                    uint8_t ch = body[at];
                    name[o++] = (char)(ch >= 0x20 && ch < 0x7F && (!wide || body[at + 1] == 0) ? ch : '?');
                    at += w;
                }
                name[o] = '\0';
            }
            char d[160];
            if (dt == 0x01) {
                snprintf(d, sizeof d, "Excel 4.0 (XLM) macro sheet \"%s\"", name);
                set(r, MG_OLE2_UNSAFE, d);
                return;
            }
            if (dt == 0x06) {
                snprintf(d, sizeof d, "Excel VBA module sheet \"%s\"", name);
                set(r, MG_OLE2_UNSAFE, d);
                return;
            }
        }
        pos += 4 + (size_t)rlen;
    }
}

/* PowerPoint finds records through the persist directory, by offset, so a
 * record may sit anywhere in the stream, also inside another record's body:
 * scan every offset for the headers that matter instead of walking. */
void mg_ole2_check_ppt(const uint8_t *pd, size_t len, struct mg_ole2_result *r)
{
    for (size_t i = 0; i + 8 <= len; i++) {
        uint16_t vi = le16(pd + i), type = le16(pd + i + 2);
        unsigned ver = vi & 0x0F;
        if (type == 0x2F14 && ver == 0x0F) {
            set(r, MG_OLE2_ENCRYPTED, "PowerPoint presentation encrypted (CryptSession10Container)");
            return;
        }
        if (type == 0x1011 && ver == 0 && (vi >> 4) <= 1) {
            set(r, MG_OLE2_UNSAFE, "PowerPoint embedded object or VBA project stored inside the "
                "document stream (ExOleObjStg); it cannot be removed safely");
            return;
        }
        /* VBAInfoAtom: persistIdRef, fHasMacros, version. LibreOffice writes
         * one with both zero in every file; only a reference is a project. */
        if (type == 0x0400 && ver == 0x2 && rd32(pd + i + 4) == 12 && i + 20 <= len &&
            (rd32(pd + i + 8) != 0 || rd32(pd + i + 12) != 0)) {
            set(r, MG_OLE2_UNSAFE, "PowerPoint VBA project (VBAInfoAtom)");
            return;
        }
    }
}

static const char *const bad_fields[] = {
    "DDEAUTO", "DDE", "INCLUDETEXT", "INCLUDEPICTURE", "IMPORT", "LINK", "INCLUDE",
};

static bool is_letter(unsigned c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

/* Reads a field keyword after a field-begin character. unit is 1 (8-bit
 * text) or 2 (UTF-16LE). Returns the keyword's table index, -2 when the
 * keyword's place holds a nested field (the keyword is computed, as in the
 * QUOTE-built DDE trick), or -1. */
static int keyword_at(const uint8_t *p, size_t len, size_t i, size_t unit)
{
    size_t j = i + unit;
    while (j + unit <= len && p[j] == ' ' && (unit == 1 || p[j + 1] == 0))
        j += unit;
    if (j + unit <= len && p[j] == 0x13 && (unit == 1 || p[j + 1] == 0))
        return -2;
    char w[20];
    size_t n = 0;
    while (j + unit <= len && is_letter(p[j]) && (unit == 1 || p[j + 1] == 0)) {
        if (n + 1 >= sizeof w)
            return -1;
        w[n++] = (char)(p[j] & ~0x20);
        j += unit;
    }
    w[n] = '\0';
    if (n == 0 || (j + unit <= len && is_letter(p[j])))
        return -1;
    for (size_t k = 0; k < sizeof bad_fields / sizeof bad_fields[0]; k++) {
        if (strcmp(w, bad_fields[k]) == 0)
            return (int)k;
    }
    return -1;
}

/* Blanks the instruction of the field that begins at i: every character up
 * to its own separator (0x14) or end (0x15), nested fields' text included,
 * but not the field characters themselves, which the Table stream's field
 * table points at. At most 32 Ki units. */
static void blank_instruction(uint8_t *wd, size_t len, size_t i, size_t unit)
{
    size_t depth = 0;
    size_t j = i + unit;
    for (size_t m = 0; j + unit <= len && m < 32768; m++, j += unit) {
        uint8_t ch = wd[j];
        bool fc = unit == 1 || wd[j + 1] == 0;
        if (fc && ch == 0x13) {
            depth++;
            continue;
        }
        if (fc && (ch == 0x14 || ch == 0x15)) {
            if (depth == 0)
                return;
            if (ch == 0x15)
                depth--;
            continue;
        }
        wd[j] = ' ';
        if (unit == 2)
            wd[j + 1] = 0;
    }
}

size_t mg_ole2_word_blank_fields(uint8_t *wd, size_t len, char *first, size_t firstlen)
{
    size_t count = 0;
    for (size_t i = 0; i < len; i++) {
        if (wd[i] != 0x13)
            continue;
        for (size_t unit = 1; unit <= 2; unit++) {
            if (unit == 2 && (i + 1 >= len || wd[i + 1] != 0))
                continue;
            int k = keyword_at(wd, len, i, unit);
            if (k == -1)
                continue;
            if (count == 0 && firstlen > 0)
                snprintf(first, firstlen, "%s", k >= 0 ? bad_fields[k] : "(computed keyword)");
            blank_instruction(wd, len, i, unit);
            count++;
            break;
        }
    }
    return count;
}
