/* The `ole2` sanitizer: Word, Excel, PowerPoint 97-2003, 一太郎 and any
 * other compound file. Reads the CFB with our own bounded reader, blocks
 * what cannot be disarmed (encryption, Excel 4.0 macro sheets, PowerPoint
 * objects and VBA inside the document stream, Outlook .msg), drops the
 * storages and streams that carry macros and embedded objects, blanks
 * Word DDE/INCLUDE field instructions in place, and writes a fresh file. */
#include <stdio.h>
#include <string.h>

#include "engine/contract.h"
#include "sanitizers/ole2/cfb.h"
#include "sanitizers/ole2/ole2_check.h"

#define OLE2_MAX_ENTRIES 100000
#define OLE2_MAX_DEPTH 32

static bool ole2_accepts(const struct mg_type *t, enum mg_class_action act)
{
    return t->cls == MG_TC_OLE2 && act == MG_DO_SANITIZE;
}

/* "ObjectPool/_1234/\x01Ole10Native" */
static void entry_path(const struct mg_cfb *c, size_t i, char *buf, size_t len)
{
    size_t chain[OLE2_MAX_DEPTH + 2];
    size_t n = 0;
    for (size_t k = i; k != 0 && k != MG_CFB_NONE && n < OLE2_MAX_DEPTH + 2; k = c->e[k].parent)
        chain[n++] = k;
    size_t o = 0;
    buf[0] = '\0';
    while (n > 0 && o + 1 < len) {
        char nm[100];
        mg_cfb_name_utf8(&c->e[chain[--n]], nm, sizeof nm);
        int w = snprintf(buf + o, len - o, "%s%s", o ? "/" : "", nm);
        if (w < 0 || (size_t)w >= len - o)
            break;
        o += (size_t)w;
    }
}

static bool is_hex8(const struct mg_cfb_entry *e, size_t from)
{
    if (e->name_len != from + 8)
        return false;
    for (size_t i = from; i < e->name_len; i++) {
        uint16_t ch = e->name[i];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'F') || (ch >= 'a' && ch <= 'f')))
            return false;
    }
    return true;
}

/* An \x01Ole stream (MS-OLEDS 2.3.3) that names a link source: the linked
 * flag, or any moniker. The 20-byte form with all fields zero, which
 * LibreOffice and Word write at a document's root, carries nothing. */
static bool ole_stream_links(const struct mg_cfb_entry *e)
{
    if (e->size < 20)
        return e->size > 0;
    for (size_t i = 4; i < e->size; i++) {
        if (e->data[i] != 0)
            return true;
    }
    return false;
}

/* Which action removes this entry, or MG_A__COUNT to keep it. */
static enum mg_action removal(const struct mg_cfb_entry *e)
{
    if (e->type == MG_CFB_STORAGE) {
        if (mg_cfb_name_is(e, "Macros") || mg_cfb_name_is(e, "_VBA_PROJECT_CUR") ||
            mg_cfb_name_is(e, "VBA") || mg_cfb_name_is(e, "_VBA_PROJECT"))
            return MG_A_VBA_REMOVED;
        if (mg_cfb_name_is(e, "ObjectPool"))
            return MG_A_OLE_REMOVED;
        if (mg_cfb_name_has_prefix(e, "MBD") && is_hex8(e, 3))
            return MG_A_OLE_REMOVED;
        if (mg_cfb_name_is(e, "_signatures") || mg_cfb_name_is(e, "_xmlsignatures"))
            return MG_A_SIGNATURE_REMOVED;
        return MG_A__COUNT;
    }
    if (mg_cfb_name_is(e, "PROJECT") || mg_cfb_name_is(e, "PROJECTwm") ||
        mg_cfb_name_is(e, "_VBA_PROJECT") || mg_cfb_name_is(e, "VBA"))
        return MG_A_VBA_REMOVED;
    if (mg_cfb_name_is(e, "\x01Ole10Native") || mg_cfb_name_is(e, "Package") ||
        mg_cfb_name_is(e, "\x01Ole10ItemName"))
        return MG_A_OLE_REMOVED;
    if (mg_cfb_name_is(e, "\x01Ole") && ole_stream_links(e))
        return MG_A_EXTERNAL_REMOVED;
    if (mg_cfb_name_is(e, "_signatures") || mg_cfb_name_is(e, "_xmlsignatures"))
        return MG_A_SIGNATURE_REMOVED;
    return MG_A__COUNT;
}

static enum mg_verdict block_find(struct mg_item *in, const struct mg_ole2_result *r)
{
    switch (r->find) {
    case MG_OLE2_ENCRYPTED: return mg_item_block(in, MG_R_ENCRYPTED, r->detail);
    case MG_OLE2_UNSAFE: return mg_item_block(in, MG_R_POLICY_BLOCK, r->detail);
    case MG_OLE2_MALFORMED: return mg_item_block(in, MG_R_MALFORMED, r->detail);
    case MG_OLE2_FINE: break;
    }
    return MG_CLEAN;
}

/* Windows Installer database, patch and transform (root CLSIDs
 * {000C1084-...}, {000C1086-...}, {000C1082-...}-0000-0000-C000-000000000046). */
static bool is_installer(const struct mg_cfb *c)
{
    static const uint8_t tail[12] = { 0x00, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x00,
                                      0x00, 0x00, 0x00, 0x46 };
    const uint8_t *id = c->e[0].clsid;
    return (id[0] == 0x84 || id[0] == 0x86 || id[0] == 0x82) && id[1] == 0x10 && id[2] == 0x0C &&
           id[3] == 0x00 && memcmp(id + 4, tail, sizeof tail) == 0;
}

/* An allow-list of what a compound file may be: Word, Excel, PowerPoint by
 * their main stream; 一太郎 (whose streams we do not know well) only when the
 * name says so. Anything else (an installer with its class id zeroed, Visio,
 * a bare OLE object ...) is not a document we understand. */
static bool known_kind(const struct mg_cfb *c, const struct mg_type *t)
{
    static const char *const mains[] = { "WordDocument", "Workbook", "Book", "PowerPoint Document" };
    for (size_t i = 0; i < sizeof mains / sizeof mains[0]; i++) {
        size_t k = mg_cfb_child(c, 0, mains[i]);
        if (k != MG_CFB_NONE && c->e[k].type == MG_CFB_STREAM)
            return true;
    }
    return strcmp(t->ext, "jtd") == 0 || strcmp(t->ext, "jtt") == 0;
}

static enum mg_verdict check_documents(struct mg_item *in, struct mg_cfb *c)
{
    struct mg_ole2_result r = { .find = MG_OLE2_FINE };
    if (is_installer(c))
        return mg_item_block(in, MG_R_EXECUTABLE, "Windows Installer package in a compound file");
    if (mg_cfb_child(c, 0, "EncryptedPackage") != MG_CFB_NONE ||
        mg_cfb_child(c, 0, "EncryptionInfo") != MG_CFB_NONE)
        return mg_item_block(in, MG_R_ENCRYPTED, "encrypted Office Open XML package (EncryptedPackage)");
    if (mg_cfb_child(c, 0, "EncryptedSummary") != MG_CFB_NONE)
        return mg_item_block(in, MG_R_ENCRYPTED, "PowerPoint presentation encrypted (EncryptedSummary)");
    if (mg_cfb_child(c, 0, "__properties_version1.0") != MG_CFB_NONE)
        return mg_item_block(in, MG_R_POLICY_BLOCK,
                             "Outlook message (.msg): a mail container this gateway does not parse");
    for (size_t i = c->e[0].first_child; i != MG_CFB_NONE; i = c->e[i].next_sibling) {
        if (mg_cfb_name_has_prefix(&c->e[i], "__substg1.0_"))
            return mg_item_block(in, MG_R_POLICY_BLOCK,
                                 "Outlook message (.msg): a mail container this gateway does not parse");
    }
    if (!known_kind(c, &in->type))
        return mg_item_block(in, MG_R_POLICY_BLOCK,
                             "compound file that is neither a Word, Excel or PowerPoint document "
                             "nor named as an Ichitaro file");
    size_t k = mg_cfb_child(c, 0, "WordDocument");
    if (k != MG_CFB_NONE && c->e[k].type == MG_CFB_STREAM)
        mg_ole2_check_word(c->e[k].data, c->e[k].size, &r);
    const char *books[] = { "Workbook", "Book" };
    for (size_t b = 0; b < 2; b++) {
        k = mg_cfb_child(c, 0, books[b]);
        if (k != MG_CFB_NONE && c->e[k].type == MG_CFB_STREAM)
            mg_ole2_check_excel(c->e[k].data, c->e[k].size, &r);
    }
    k = mg_cfb_child(c, 0, "PowerPoint Document");
    if (k != MG_CFB_NONE && c->e[k].type == MG_CFB_STREAM)
        mg_ole2_check_ppt(c->e[k].data, c->e[k].size, &r);
    return block_find(in, &r);
}

static enum mg_verdict ole2_run(struct mg_job *job, struct mg_item *in, struct mg_sink *out)
{
    const struct mg_policy *pol = mg_job_policy(job);
    struct mg_cfb_limits lim = { .max_entries = OLE2_MAX_ENTRIES, .max_depth = OLE2_MAX_DEPTH };
    struct mg_cfb c;
    char err[200];
    enum mg_cfb_status st = mg_cfb_read(in->data, in->len, &lim, &c, err, sizeof err);
    switch (st) {
    case MG_CFB_OK: break;
    case MG_CFB_MALFORMED: return mg_item_block(in, MG_R_MALFORMED, err);
    case MG_CFB_LIMIT: return mg_item_block(in, MG_R_LIMIT_COUNT, err);
    case MG_CFB_NOMEM: return mg_item_tempfail(in, MG_R_RESOURCES, err);
    }
    enum mg_verdict v = check_documents(in, &c);
    if (v != MG_CLEAN) {
        mg_cfb_free(&c);
        return v;
    }
    /* Parents come before their children in c.e, so one pass propagates. */
    for (size_t i = 1; i < c.n; i++) {
        struct mg_cfb_entry *e = &c.e[i];
        if (c.e[e->parent].removed) {
            e->removed = true;
            continue;
        }
        enum mg_action a = removal(e);
        if (a == MG_A__COUNT)
            continue;
        e->removed = true;
        char path[400];
        entry_path(&c, i, path, sizeof path);
        mg_item_action(in, a, path);
    }
    size_t w = mg_cfb_child(&c, 0, "WordDocument");
    if (w != MG_CFB_NONE && c.e[w].type == MG_CFB_STREAM) {
        char first[24] = "";
        size_t n = mg_ole2_word_blank_fields(c.e[w].data, c.e[w].size, first, sizeof first);
        if (n > 0) {
            bool dde = strncmp(first, "DDE", 3) == 0;
            mg_item_actionf(in, dde ? MG_A_DDE_REMOVED : MG_A_EXTERNAL_REMOVED,
                            "%zu field instruction(s), first %s", n, first);
        }
    }
    if (!mg_job_time_ok(job)) {
        mg_cfb_free(&c);
        return mg_item_block(in, MG_R_LIMIT_TIME, NULL);
    }
    struct mg_buf b;
    mg_buf_init(&b);
    if (pol->limits.max_item_size < SIZE_MAX)
        mg_buf_set_limit(&b, (size_t)pol->limits.max_item_size);
    st = mg_cfb_write(&c, &b, err, sizeof err);
    mg_cfb_free(&c);
    if (st != MG_CFB_OK) {
        mg_buf_free(&b);
        if (st == MG_CFB_NOMEM)
            return mg_item_tempfail(in, MG_R_RESOURCES, err);
        return mg_item_block(in, st == MG_CFB_LIMIT ? MG_R_LIMIT_SIZE : MG_R_MALFORMED, err);
    }
    /* Always rebuilt: even with nothing removed, the fresh file drops
     * unreferenced sectors, orphan entries and slack space. */
    enum mg_verdict res = mg_item_emit(job, in, out, b.data, b.len);
    mg_buf_free(&b);
    return res;
}

const struct mg_sanitizer mg_sanitizer_ole2 = {
    .name = "ole2",
    .version = "1",
    .accepts = ole2_accepts,
    .run = ole2_run,
};
